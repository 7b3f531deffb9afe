/**
 * The one-way layers (see the README's Development section), checked by `npm run lint`:
 *   CLI (src/main.ts, src/cli/) → actions (src/actions/: every command's body)
 *   → pipeline (src/pipeline/) → features (src/rewrite/, src/cache/, src/explain/, src/doctor/, src/setup/,
 *   src/docker-plugin/, plugins/) → foundations (src/buildx/, src/stage/, src/hook/, src/registry/) → shared helpers (src/*.ts).
 * Nothing imports a layer above its own, nothing imports in a circle (type-only imports count too),
 * and a new folder under src/ must be given a layer here before its modules may import anything.
 */
const CLI = '^src/(main\\.ts$|cli/)'
const ACTIONS = '^src/actions/'
const PIPELINE = '^src/pipeline/'
const FEATURES = '^(plugins/|src/(rewrite|cache|explain|doctor|setup|docker-plugin)/)'
const FOUNDATIONS = '^src/(buildx|stage|hook|registry)/'
const SHARED = '^src/(?!main\\.ts$)[^/]+\\.ts$'

const above = (name, from, ...upper) => ({
  name,
  severity: 'error',
  comment: `${name}: a module imports a layer above its own (see .dependency-cruiser.js)`,
  from: {path: from},
  to: {path: upper},
})

export default {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'modules that import each other, directly or around a circle',
      from: {},
      to: {circular: true},
    },
    {
      name: 'every-module-has-a-layer',
      severity: 'error',
      comment: 'a module under src/ outside every layer: add its folder to one of the layers in .dependency-cruiser.js',
      from: {path: '^src/', pathNot: [CLI, ACTIONS, PIPELINE, FEATURES, FOUNDATIONS, SHARED]},
      to: {},
    },
    above('actions-import-cli', ACTIONS, CLI),
    above('pipeline-imports-up', PIPELINE, CLI, ACTIONS),
    above('feature-imports-up', FEATURES, CLI, ACTIONS, PIPELINE),
    above('foundation-imports-up', FOUNDATIONS, CLI, ACTIONS, PIPELINE, FEATURES),
    above('shared-imports-up', SHARED, CLI, ACTIONS, PIPELINE, FEATURES, FOUNDATIONS),
    {
      name: 'rules-reach-commands-one-way',
      severity: 'error',
      comment: 'the rule list (plugins/index.ts) is passed in by the command bodies (src/actions/); the engine takes it as an argument',
      from: {path: '^src/', pathNot: ACTIONS},
      to: {path: '^plugins/'},
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: {fileName: 'tsconfig.json'},
    doNotFollow: {path: 'node_modules'},
    exclude: {path: '^(dist|node_modules)'},
  },
}
