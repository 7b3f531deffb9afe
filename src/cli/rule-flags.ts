import {Flags} from '@oclif/core'

/** Flags rewrite and lint share: where the Dockerfile is and how buildx would build it. */
export const ruleFlags = {
  file: Flags.string({char: 'f', description: 'Dockerfile (default: CONTEXT/Dockerfile)'}),
  'build-arg': Flags.string({description: 'build argument NAME=VALUE, as for buildx', multiple: true}),
  target: Flags.string({description: 'target stage, as for buildx'}),
  platform: Flags.string({description: 'target platform, as for buildx'}),
  network: Flags.string({description: 'buildx --network for the probe builds'}),
  'build-context': Flags.string({description: 'named context NAME=SOURCE, as for buildx: a FROM or --from naming it reads it, not an image', multiple: true}),
  config: Flags.string({description: 'use FILE instead of the .dbuild.json found from the context up to the git root', helpValue: 'FILE'}),
  plugins: Flags.boolean({
    description: "run the rule plugins that .dbuild.json lists: they are the repository's own JavaScript and run as code with your rights (default: not run, or DBUILD_PLUGINS=1)",
    allowNo: true,
  }),
}
