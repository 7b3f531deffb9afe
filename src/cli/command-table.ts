/**
 * The command table: every dbuild command once, with what each path needs of it. oclif's commands
 * are made from it (src/cli/oclif-commands.ts), the oclif-free path parses argv against it
 * (src/cli/direct.ts), src/main.ts routes by its ids, and help, completion and the README's
 * Commands section come from it. A command's body lives in src/actions/ and is imported only when
 * the command runs. Adding a command: one entry here, one body there.
 *
 * Read on every start, so it imports nothing heavy: text and small constant lists only.
 */
import type {CommandAction} from '../actions/command-io.js'
import {SHELLS} from '../actions/completion.js'
import {FAILURE_THRESHOLDS} from '../failure-threshold.js'
import {FINDINGS_FORMATS} from '../rewrite/format.js'

/** One flag, as oclif's Flags.boolean / Flags.string take it. */
export interface FlagEntry {
  /** `option` takes a value (oclif's Flags.string). */
  type: 'boolean' | 'option'
  description: string
  char?: string
  multiple?: boolean
  options?: readonly string[]
  default?: string | boolean
  allowNo?: boolean
  dependsOn?: readonly string[]
  exclusive?: readonly string[]
  exactlyOne?: readonly string[]
  helpValue?: string
}

/** One positional argument, as oclif's Args.string takes it. */
export interface ArgEntry {
  description: string
  default?: string
  required?: boolean
  options?: readonly string[]
}

export interface CommandEntry {
  summary: string
  description?: string
  /** Usage lines without the bin name, when oclif's own (from args and flags) would mislead. */
  usage?: readonly string[]
  /** `<%= config.bin %>` stands for the bin name, as oclif renders it. */
  examples?: readonly string[]
  /** oclif's enableJsonFlag: `--json` prints the result, or the error, as JSON. */
  json?: boolean
  /** false: more positional arguments than `args` declares are taken (oclif's strict). */
  strict?: boolean
  args?: Readonly<Record<string, ArgEntry>>
  flags?: Readonly<Record<string, FlagEntry>>
  /** The body reads the argv as given (buildx's and bake's flags) and returns the exit code. */
  raw?: boolean
  /**
   * Runs without loading oclif: build always (src/main.ts), the others when their argv parses exactly as oclif would parse
   * it (src/cli/direct.ts). Only these bodies are bundled into bin/run.js's entry (bin/build.js); oclif runs the rest from tsc's output.
   */
  direct?: boolean
  /** The body, imported when the command runs. */
  body: () => Promise<CommandAction<never>>
}

/** The help text's word on plugins, shared by build, lint and rewrite. */
export const PLUGINS_NOTE = `Plugins: a repository's .dbuild.json may list rule plugins. They are JavaScript files of that repository and run as code \
on this machine, with your rights, as ESLint's configs do; so dbuild runs them only when you pass --plugins or set DBUILD_PLUGINS=1 (--no-plugins and \
DBUILD_PLUGINS=0 turn them off).`

export const BUILD_SUMMARY =
  'Build with docker buildx: stage a permission-normalized context, rewrite risky Dockerfile lines, add the cache list.'

export const BUILD_USAGE = ['dbuild build [buildx flags] PATH | URL | -', 'dbuild [buildx flags] PATH | URL | -'] as const

export const BUILD_DESCRIPTION = `dbuild stages a copy of the context with canonical modes (files 644 or 755, directories 755) so COPY/ADD checksums \
match on every machine (a context that is already canonical is used directly), rewrites risky Dockerfile lines into a copy beside the stage, adds the \
project's --cache-from list from .dbuild.json (and its cacheTo list in CI or with --export-cache, when the builder can export it), and hands \
everything else to buildx unchanged. buildx's exit code and signals pass through; nothing of dbuild's own is printed with -q, --progress=quiet or \
--progress=rawjson.

${PLUGINS_NOTE}`

/** dbuild's own build flags, as [spelling, what it does]; buildx's come from src/buildx/flags.ts. */
export const OWN_BUILD_FLAGS: ReadonlyArray<readonly [string, string]> = [
  ['--dry-run', 'stage and rewrite, print the docker command as one shell-quoted line, build nothing'],
  ['--no-stage', 'build from the context as it is'],
  ['--no-rewrite', 'use the Dockerfile as it is'],
  ['--config FILE', 'use FILE instead of the .dbuild.json found from the context up to the git root'],
  ['--export-cache', 'add .dbuild.json cacheTo outside CI too'],
  ['--manifest FILE', 'write the context manifest for dbuild explain (in CI: beside the stage) and annotate the image with its digest'],
  ['--[no-]plugins', 'run (or not) the rule plugins .dbuild.json lists; default: not run, or DBUILD_PLUGINS=1'],
]

export const BUILD_EXAMPLES = [
  'dbuild -t app:dev .',
  'dbuild build --push -t registry.example.com/app:latest --cache-to type=inline .',
  'dbuild ' + 'build --dry-run -f docker/Dockerfile .',
]

/** The flags rewrite and lint share: where the Dockerfile is and how buildx would build it (src/actions/rule-request.ts reads them). */
const RULE_FLAGS: Readonly<Record<string, FlagEntry>> = {
  file: {type: 'option', char: 'f', description: 'Dockerfile (default: CONTEXT/Dockerfile)'},
  'build-arg': {type: 'option', description: 'build argument NAME=VALUE, as for buildx', multiple: true},
  target: {type: 'option', description: 'target stage, as for buildx'},
  platform: {type: 'option', description: 'target platform, as for buildx'},
  network: {type: 'option', description: 'buildx --network for the probe builds'},
  'build-context': {
    type: 'option',
    description: 'named context NAME=SOURCE, as for buildx: a FROM or --from naming it reads it, not an image',
    multiple: true,
  },
  config: {
    type: 'option',
    description: 'use FILE instead of the .dbuild.json found from the context up to the git root',
    helpValue: 'FILE',
  },
  plugins: {
    type: 'boolean',
    description:
      "run the rule plugins that .dbuild.json lists: they are the repository's own JavaScript and run as code with your rights (default: " +
      'not run, or DBUILD_PLUGINS=1)',
    allowNo: true,
  },
}

/** Every command by its oclif id (a topic's commands as `topic:command`). */
export const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  bake: {
    summary: `Bake with docker buildx: every target staged, rewritten and given the cache list, as dbuild build does.`,
    description: `A drop-in for \`docker buildx bake\` (HCL, JSON and compose files alike): every bake flag is accepted and passed through. The \
definition is resolved by \`docker buildx bake --print\` with the same files, --set, --var and environment. For each target, its local context and \
local named contexts are staged (each distinct directory once), its Dockerfile is rewritten into a copy beside the stage (with its .dockerignore and \
.rego), and the .dbuild.json cache lists are added. bake then runs that definition. dockerfile-inline, remote contexts and \`target:\` contexts are \
passed through untouched, with a note. buildx's exit code and signals pass through.

dbuild's own flags (and bake's --print):
  --print           print the definition bake would run, build nothing
  --dry-run         stage and rewrite, print the docker command as one shell-quoted line, build nothing
  --no-stage        build from the contexts as they are
  --no-rewrite      use the Dockerfiles as they are
  --config FILE     use FILE instead of the .dbuild.json found from each context up to the git root
  --manifest DIR    write each target's context manifest for dbuild explain to DIR/TARGET.jsonl (in CI: beside each stage)
  --export-cache    add .dbuild.json cacheTo outside CI too`,
    examples: [
      '<%= config.bin %> bake',
      '<%= config.bin %> bake -f compose.yaml web',
      '<%= config.bin %> bake --print --set app.args.VERSION=2',
    ],
    strict: false,
    raw: true,
    body: () => import('../actions/bake.js').then((module) => module.default),
  },
  build: {
    summary: BUILD_SUMMARY,
    usage: BUILD_USAGE.map((line) => line.replace(/^dbuild /, '')),
    description: `A drop-in for \`docker buildx build\`: every buildx flag is accepted and passed through in order, no \`--\` needed. The bare form \
\`dbuild [buildx flags] CONTEXT\` runs this command too.

${BUILD_DESCRIPTION}

dbuild's own flags:
${OWN_BUILD_FLAGS.map(([spelling, text]) => `  ${spelling.padEnd(16)}  ${text}`).join('\n')}`,
    examples: BUILD_EXAMPLES.map((example) => example.replace(/^dbuild /, '<%= config.bin %> ')),
    strict: false,
    raw: true,
    direct: true,
    body: () => import('../actions/build.js').then((module) => module.default),
  },
  completion: {
    summary: 'Print a shell completion script for bash, zsh or fish.',
    description: `Completes the commands, the hook subcommands, each command's flags, and buildx's flags for build and the bare form. Load it from \
your shell's start-up file:
  bash: eval "$(dbuild completion bash)" in ~/.bashrc
  zsh:  eval "$(dbuild completion zsh)" in ~/.zshrc
  fish: dbuild completion fish > ~/.config/fish/completions/dbuild.fish`,
    examples: ['<%= config.bin %> completion bash', 'eval "$(<%= config.bin %> completion zsh)"'],
    args: {
      shell: {description: 'the shell', required: true, options: SHELLS},
    },
    body: () => import('../actions/completion.js').then((module) => module.default),
  },
  doctor: {
    summary: 'Check this machine: docker, buildx, the builder, the image store, umask, hook and config.',
    description: `Each check says pass, warn or fail and gives the fix. Reports whether the daemon uses the containerd image store (imageStore in \
--json), where COPY --link --chown=name fails with "invalid user index: -1", and the BuildKit version where known. docker is asked through \
DOCKER_HOST / DOCKER_CONTEXT / BUILDX_BUILDER as set. Exits 0 when nothing failed, 1 when a check failed.`,
    examples: ['<%= config.bin %> doctor', '<%= config.bin %> doctor --json', '<%= config.bin %> doctor --builder mybuilder'],
    json: true,
    flags: {
      builder: {type: 'option', description: 'buildx builder to inspect (default: BUILDX_BUILDER or the current builder)'},
    },
    body: () => import('../actions/doctor.js').then((module) => module.default),
  },
  explain: {
    summary: `Say why a build misses the cache another build made: compare the context and inputs with its manifest.`,
    description: `Digests CONTEXT as BuildKit would be sent it (the same walk and .dockerignore as \`dbuild stage\`) and compares it with MANIFEST, \
written by \`dbuild stage --manifest\` or \`dbuild build --manifest\` (or by \`dbuild build\` in CI). Lists the paths that were added or removed or \
whose content, mode, type or link target changed, and the Dockerfile instructions that read each one (COPY/ADD sources without --from, RUN \
--mount=type=bind from the context); names the first instruction that would miss the cache, with its line; and reports the causes that are not \
context files: another .dockerignore, changed Dockerfile instructions, build args (compared when --build-arg is given), the # syntax line, the \
platform, CRLF line endings that .gitattributes does not pin, and a .git that an instruction copies. Exits 0 when every step would still hit the \
cache (differences that no instruction reads are listed and do not fail), 1 when a step would miss.

--against also takes an image reference (tag or digest) or a registry cache ref: the manifest a \`dbuild build\` that pushed attached to it as an OCI \
artifact is fetched with docker's credentials (config.json, credential helpers), through the referrers API or the referrers tag scheme, and nothing is written.

--modes needs no manifest: it lists the paths whose modes make plain \`docker buildx build\` (or \`dbuild build --no-stage\`) miss a cache made on \
another machine, with the fix.`,
    examples: [
      '<%= config.bin %> explain --against ci-manifest.jsonl',
      '<%= config.bin %> explain --against registry.example.com/team/app:main',
      `<%= config.bin %> explain --against ci-manifest.jsonl app -f app/Dockerfile --build-arg VERSION=1.2 --json`,
      '<%= config.bin %> explain --modes',
    ],
    json: true,
    args: {
      context: {description: 'Build context directory.', default: '.'},
    },
    flags: {
      against: {
        type: 'option',
        description: `The build whose cache should have been hit: its manifest file, or the image (tag or digest) or registry \
cache ref it pushed.`,
        exactlyOne: ['against', 'modes'],
      },
      modes: {
        type: 'boolean',
        description: 'List the paths whose modes make plain buildx miss the cache, with the fix.',
        exactlyOne: ['against', 'modes'],
      },
      file: {type: 'option', char: 'f', description: 'Dockerfile (default CONTEXT/Dockerfile).'},
      'build-arg': {
        type: 'option',
        description: 'A build arg as the build is given it, NAME=VALUE (repeatable); compared with the ' + "manifest's.",
        multiple: true,
      },
      platform: {type: 'option', description: "The build's platform (default: the manifest's)."},
      target: {type: 'option', description: "The build's target stage (default: the manifest's, else the last stage)."},
    },
    body: () => import('../actions/explain.js').then((module) => module.default),
  },
  lint: {
    summary: 'Report risky Dockerfile lines without changing anything.',
    description: `With no PATH, lints every Dockerfile under the current directory (Dockerfile, Dockerfile.*, *.Dockerfile, *.dockerfile, \
Containerfile; what git ignores is skipped) in one run, as one report. A PATH that is a file is linted as a Dockerfile; a directory is a build \
context (its Dockerfile, or -f). Formats: text, json, sarif, github (workflow annotations), gitlab (code quality) and checkstyle; each names the file \
of every finding. Writes no file. Probe builds (for facts from the image) run only with --probe. Exits 1 when a finding reaches the failure threshold \
(--failure-threshold, else "failureThreshold" in .dbuild.json, else error).

${PLUGINS_NOTE}`,
    examples: [
      '<%= config.bin %> lint',
      '<%= config.bin %> lint Dockerfile docker/*.Dockerfile',
      '<%= config.bin %> lint --format sarif > dbuild.sarif',
      '<%= config.bin %> lint --format gitlab > gl-code-quality-report.json',
      '<%= config.bin %> lint -f docker/Dockerfile .',
    ],
    strict: false,
    args: {
      path: {description: 'Dockerfiles, or one build context directory (default: every Dockerfile under the current directory)'},
    },
    flags: {
      ...RULE_FLAGS,
      format: {type: 'option', description: 'output format', options: FINDINGS_FORMATS, default: 'text'},
      'failure-threshold': {
        type: 'option',
        char: 't',
        description: 'exit 1 on a finding of this severity or higher (none: ' + 'never)',
        options: FAILURE_THRESHOLDS,
      },
      exclude: {
        type: 'option',
        description: `leave out of repository-wide lint the paths this fast-glob pattern matches (relative to the current \
directory; also "lint": {"exclude": [...]} in .dbuild.json)`,
        multiple: true,
        helpValue: 'GLOB',
      },
      probe: {type: 'boolean', description: 'run BuildKit probe builds for facts rules need', default: false, allowNo: true},
    },
    direct: true,
    body: () => import('../actions/lint.js').then((module) => module.default),
  },
  normalize: {
    summary: "Set a git work tree's file modes in place to the canonical modes from git's index.",
    description: `Tracked files recorded as 100755 become 0755, every other tracked file 0644, and the directories that hold them 0755 (setuid, \
setgid and sticky bits cleared). Symlinks and submodules are left alone. \`dbuild setup\` runs it once so that even a plain \`docker build\` gets \
consistent checksums; the git hooks keep modes canonical after each checkout with their own POSIX sh, without running dbuild.`,
    examples: ['<%= config.bin %> normalize', '<%= config.bin %> normalize path/to/repo --json'],
    json: true,
    args: {
      path: {description: 'Directory inside a git work tree; its tracked files are normalized.', default: '.'},
    },
    body: () => import('../actions/normalize.js').then((module) => module.default),
  },
  rewrite: {
    summary: 'Print the Dockerfile with risky lines rewritten; findings go to stderr.',
    description: `Runs the rules from plugins/ (link-chown, exclude-root, image-mirror, …) and splices their edits into the original bytes: where no \
rule fires the output is byte-identical. Rules that need facts from the image (users at a line, a stage's tree) get them from small BuildKit probe \
builds, cached on disk. The file itself changes only with --write, and only the bytes of the lines a rule fixed: every other byte (Latin-1 text, \
CRLF, a byte order mark) stays as it was.

${PLUGINS_NOTE}`,
    examples: [
      '<%= config.bin %> rewrite',
      '<%= config.bin %> rewrite -f docker/Dockerfile --diff',
      '<%= config.bin %> rewrite --build-arg OWNER=app --write',
    ],
    json: true,
    args: {
      context: {description: 'build context directory', default: '.'},
    },
    flags: {
      ...RULE_FLAGS,
      probe: {type: 'boolean', description: 'run BuildKit probe builds for facts rules need', default: true, allowNo: true},
      diff: {type: 'boolean', description: 'print a unified diff instead of the rewritten file', exclusive: ['write']},
      write: {type: 'boolean', description: 'rewrite the Dockerfile in place'},
    },
    direct: true,
    body: () => import('../actions/rewrite.js').then((module) => module.default),
  },
  setup: {
    summary: 'Onboard this checkout: create .dbuild.json, install the hooks, normalize modes, run doctor.',
    description: `The one command a new developer runs. In order: creates .dbuild.json at the git root if missing (adding --cache-from specs it lacks \
otherwise), installs the git hooks, normalizes the work tree's modes, runs doctor and prints the next steps. It is idempotent and asks nothing when \
not on a TTY or with --yes. Exits 1 when a doctor check failed.`,
    examples: ['<%= config.bin %> setup', '<%= config.bin %> setup --yes --cache-from type=registry,ref=registry.example.com/app:cache'],
    json: true,
    flags: {
      'cache-from': {type: 'option', description: 'buildx --cache-from spec for .dbuild.json (repeatable)', multiple: true},
      yes: {type: 'boolean', char: 'y', description: 'ask nothing; take the defaults'},
      builder: {type: 'option', description: 'buildx builder for the doctor checks (default: BUILDX_BUILDER or the current builder)'},
    },
    body: () => import('../actions/setup.js').then((module) => module.default),
  },
  stage: {
    summary: 'Stage a permission-normalized copy of a build context and print its directory.',
    description: `Copies exactly the paths BuildKit would send for CONTEXT (honouring .dockerignore and <Dockerfile>.dockerignore) into a stable \
directory, with files 0644 (0755 when owner-executable), directories 0755, symlinks kept as symlinks, FIFOs as FIFOs, sockets as empty files (as \
BuildKit sends them), names byte for byte, and setuid/setgid/sticky bits and user.* xattrs dropped. Devices are skipped with a warning. A stage being \
synced never changes a file in place, so builds still reading it get whole files. The stage is synced: unchanged files are not rewritten, removed \
files are removed and mtimes are kept, so BuildKit uploads only what changed.

The stage lives under $DBUILD_CACHE_DIR, $XDG_CACHE_HOME/dbuild or ~/.cache/dbuild, one directory per context. That stage is dbuild's own: it keeps a \
record of what it wrote there and looks at those files again only when the context's copy changes or their stage directory gains or loses entries, so \
a file edited there by hand stays edited (delete the directory to start over). --out picks a directory instead (new, empty, or staged before), and \
every path in it is checked each time.

The context digest (\`digest\` in --json) is one sha256 over every staged path: its path, type, canonical mode, size, content sha256 and link target. \
It is the same for one commit on every machine and changes with any byte, mode, name or link BuildKit would be sent; content is read again only for \
files whose size or mtime changed. --manifest FILE writes every entry behind it, one JSON line each after a header with the Dockerfile, the \
.dockerignore and the build inputs given here, for \`dbuild explain --against FILE\`.`,
    examples: [
      '<%= config.bin %> stage .',
      '<%= config.bin %> stage app -f app/Dockerfile --json',
      '<%= config.bin %> stage . --out /tmp/ctx',
      '<%= config.bin %> stage . --manifest context-manifest.jsonl',
    ],
    json: true,
    args: {
      context: {description: 'Build context directory.', default: '.'},
    },
    flags: {
      file: {type: 'option', char: 'f', description: "Dockerfile; its <Dockerfile>.dockerignore wins over the context's .dockerignore."},
      out: {type: 'option', description: 'Stage into this directory instead of the per-context cache directory.'},
      manifest: {type: 'option', description: 'Write the entries behind the digest and the build inputs to this file, for dbuild explain.'},
      'build-arg': {
        type: 'option',
        description: 'Record a build arg (NAME=VALUE, repeatable; kept as a hash) in the ' + 'manifest.',
        multiple: true,
        dependsOn: ['manifest'],
      },
      platform: {type: 'option', description: "Record the build's platform in the manifest.", dependsOn: ['manifest']},
      target: {type: 'option', description: "Record the build's target stage in the manifest.", dependsOn: ['manifest']},
    },
    direct: true,
    body: () => import('../actions/stage.js').then((module) => module.default),
  },
  'docker:install': {
    summary: `Make \`docker dbuild …\` work: install dbuild as a Docker CLI plugin (with --alias, plain \`docker build\` too).`,
    description: `Writes the docker-dbuild executable into $DOCKER_CONFIG/cli-plugins (default ~/.docker/cli-plugins), so \`docker dbuild build …\` \
and \`docker dbuild bake …\` run dbuild, with docker's global flags (--host, --context, --config, --tls…) honoured.

--alias also sets "aliases": {"builder": "dbuild"} in config.json: plain \`docker build\` and \`docker image build\` then run through dbuild, and \
\`docker builder …\` subcommands dbuild does not handle (prune, du, ls, …) go to buildx unchanged. Only that key is added; \`dbuild docker \
uninstall\` gives config.json back byte for byte.

--buildx also writes a docker-buildx shim there, the buildx docker and Compose find first: \`docker buildx build\`, \`docker build\`, \`docker buildx \
bake\` (and \`b\`, \`f\`) and Compose's builds run through dbuild; every other buildx command is the real buildx, exec'd untouched. A docker-buildx \
already there is kept aside and is the real buildx; running install --buildx again repairs a shim another buildx wrote over. DBUILD_BUILDX_SHIM=0 \
bypasses it for one command.`,
    examples: [
      '<%= config.bin %> docker install',
      '<%= config.bin %> docker install --alias',
      'DOCKER_CONFIG=/tmp/docker <%= config.bin %> docker install --json',
    ],
    json: true,
    flags: {
      alias: {type: 'boolean', description: 'route plain `docker build` through dbuild (config.json aliases.builder)'},
      buildx: {type: 'boolean', description: 'install a docker-buildx shim: docker buildx build/bake and Compose run through dbuild'},
    },
    body: () => import('../actions/docker.js').then((module) => module.install),
  },
  'docker:status': {
    summary: `Show whether the docker-dbuild plugin and the docker-buildx shim are installed and whether docker build runs through them.`,
    examples: ['<%= config.bin %> docker status', '<%= config.bin %> docker status --json'],
    json: true,
    body: () => import('../actions/docker.js').then((module) => module.status),
  },
  'docker:uninstall': {
    summary: 'Remove the docker-dbuild plugin and give config.json back as it was.',
    description: `Removes $DOCKER_CONFIG/cli-plugins/docker-dbuild, and the docker-buildx shim with the docker-buildx it displaced put back as it \
was. When --alias had set aliases.builder, config.json is restored byte for byte; if docker or you changed it since, only the alias is taken out and \
the rest is kept.`,
    examples: ['<%= config.bin %> docker uninstall'],
    json: true,
    body: () => import('../actions/docker.js').then((module) => module.uninstall),
  },
  'hook:install': {
    summary: 'Install the post-checkout, post-merge and post-rewrite hooks that keep file modes canonical.',
    description: `Registers through the hook manager the repository already uses: with husky 9 (core.hooksPath=.husky/_) a guarded block at the top \
of the committed .husky/post-checkout, post-merge and post-rewrite (created when missing; .husky/_ is never written); with lefthook a script in \
lefthook-local.yml (lefthook.yml with --shared) that lefthook runs with git's arguments. Otherwise the hooks go where git looks for them (git \
rev-parse --git-path hooks), chained to any foreign hook already there, which is kept as <hook>.dbuild-chained and run after dbuild's with the same \
arguments and stdin. The hooks need only POSIX sh and git, never fail a git command (a chained hook's own exit status is passed through), and \
DBUILD_HOOK=0 turns them off. Running it again changes nothing, and it repairs a hook a manager displaced.`,
    examples: ['<%= config.bin %> hook install', '<%= config.bin %> hook install --shared', '<%= config.bin %> hook install --json'],
    json: true,
    flags: {
      shared: {
        type: 'boolean',
        description: `With lefthook: register in the committed lefthook.yml (every clone runs it) instead of lefthook-local.yml.`,
      },
    },
    body: () => import('../actions/hook.js').then((module) => module.install),
  },
  'hook:status': {
    summary: 'Report each git hook as installed, missing, foreign or displaced, and what the hooks cover.',
    description: `Looks where dbuild's hooks are registered: git's hooks directory (respecting core.hooksPath and worktrees), husky's .husky/<hook> \
or lefthook's config. A hook another tool replaced or moved aside is reported as displaced, with the tool's name; dbuild hook install repairs it. \
Also lists the git commands that run no hook (reset --hard, stash pop/apply, cherry-pick) and what covers them.`,
    examples: ['<%= config.bin %> hook status', '<%= config.bin %> hook status --json'],
    json: true,
    body: () => import('../actions/hook.js').then((module) => module.status),
  },
  'hook:uninstall': {
    summary: 'Remove exactly what dbuild hook install added; foreign and hook manager files stay byte for byte.',
    description: `Only hooks and blocks fingerprinted as dbuild's are removed: a foreign hook that dbuild chained is moved back in place with its \
bytes and mode, dbuild's block is cut out of husky's .husky/<hook> (a file dbuild created is deleted), and dbuild's script and config block are taken \
out of lefthook's files.`,
    examples: ['<%= config.bin %> hook uninstall', '<%= config.bin %> hook uninstall --json'],
    json: true,
    body: () => import('../actions/hook.js').then((module) => module.uninstall),
  },
}

/** Every top-level command word (a topic such as `hook` counts once), sorted. */
export const COMMAND_IDS: readonly string[] = [...new Set(Object.keys(COMMANDS).map((id) => id.split(':')[0] as string))].sort()

/** A topic's subcommands (`hook` → install, status, uninstall); empty for a plain command. */
export function subcommandsOf(topic: string): string[] {
  return Object.keys(COMMANDS)
    .filter((id) => id.startsWith(`${topic}:`))
    .map((id) => id.slice(topic.length + 1))
    .sort()
}
