#!/usr/bin/env node
// @ts-check
/**
 * `npm run build`: compiles into a fresh directory beside dist/, writes oclif's manifest for it,
 * then swaps both in by rename. dist/ is never deleted first, so a linked `dbuild` keeps working
 * while `npm test` (which builds) runs; the swap leaves it without dist/ for two renames only.
 *
 * The manifest (oclif.manifest.json) lets oclif answer help and find a command without importing
 * every command; without it `dbuild stage --help` loads all of them.
 *
 * Then it renders `dbuild [COMMAND] --help` as a pipe receives it (no terminal, so no colour and 80
 * columns) into dist/help.json, which bin/run.js prints without loading oclif: importing oclif
 * alone takes longer than Node's whole start (see the README's Speed section).
 */
import {execFile, execFileSync} from 'node:child_process'
import {cpSync, existsSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {promisify} from 'node:util'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const DIST = path.join(ROOT, 'dist')
const MANIFEST = path.join(ROOT, 'oclif.manifest.json')
/** Builds in progress and builds swapped out: `dist.next-<pid>`, `dist.old-<pid>`. */
const SCRATCH = /^dist\.(next|old)-(\d+)$/

/** @param {number} pid */
function alive(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return /** @type {NodeJS.ErrnoException} */ (error).code === 'EPERM'
  }
}

/** Leftovers of builds that were interrupted (their process is gone). */
function removeStaleScratch() {
  for (const name of readdirSync(ROOT)) {
    const match = SCRATCH.exec(name)
    if (match && !alive(Number(match[2]))) rmSync(path.join(ROOT, name), {recursive: true, force: true})
  }
}

/**
 * The manifest oclif writes with `oclif manifest`, made from the commands in `outDir` and then
 * pointed at dist/, where they will be once swapped in.
 * @param {string} outDir
 */
async function manifestFor(outDir) {
  const {Plugin} = await import('@oclif/core')
  const pjson = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
  // oclif's explicit strategy: the command classes src/cli/oclif-commands.ts makes from the command table
  const target = String(pjson.oclif.commands.target).replace(/^\.\/dist\//, `./${path.basename(outDir)}/`)
  const plugin = new Plugin({
    root: ROOT,
    pjson: {...pjson, oclif: {...pjson.oclif, commands: {...pjson.oclif.commands, target}}},
    isRoot: true,
    type: 'core',
    ignoreManifest: true,
    errorOnManifestCreate: true,
    respectNoCacheDefault: true,
  })
  await plugin.load()
  return plugin.manifest
}

/**
 * dist/src/main.bundle.js and its chunks: bin/run.js's entry, bundled by esbuild from tsc's output.
 * Node 20 loads ES modules one file at a time (resolve, read, link), and `dbuild lint FILE` would
 * load about 80 of them, which costs more than the lint itself. The bundle splits at every dynamic
 * import, so each path still loads only what it uses. oclif stays outside: the commands it runs are
 * tsc's modules, loaded by oclif as usual.
 * @param {string} outDir
 */
async function bundle(outDir) {
  const esbuild = await import('esbuild')
  const bundled = await bundledBodies(outDir)
  await esbuild.build({
    entryPoints: [path.join(outDir, 'src', 'main.js')],
    outdir: path.join(outDir, 'src'),
    entryNames: '[name].bundle',
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20', // package.json engines
    external: ['@oclif/core'],
    // jsonc-parser's "main" is a UMD build whose requires esbuild cannot follow; its ES build can be bundled
    alias: {'jsonc-parser': 'jsonc-parser/lib/esm/main.js'},
    // CommonJS packages inside (fast-glob, cross-spawn) require Node's built-ins: give them a real require
    banner: {js: "import {createRequire as __createRequire} from 'node:module'; const require = __createRequire(import.meta.url);"},
    logLevel: 'warning',
    plugins: [
      {
        name: 'oclif-bodies-outside',
        setup(build) {
          // a body only oclif runs stays an import of tsc's output: bundled, each would split the chunks the direct
          // paths load into smaller ones (more files for Node 20 to load one at a time). chunks/ and cli/ are
          // siblings, so the same relative path reaches tsc's file from the chunk that holds the table.
          build.onResolve({filter: /^\.\.\/actions\//}, (args) =>
            args.kind === 'dynamic-import' && args.importer.endsWith(`${path.sep}cli${path.sep}command-table.js`) && !bundled.has(args.path)
              ? {path: args.path, external: true}
              : undefined,
          )
        },
      },
    ],
  })
}

/**
 * The body modules bin/run.js's bundle carries: those of the command table's direct commands, as
 * their lazy `import()` names them (`../actions/lint.js`).
 * @param {string} outDir
 */
async function bundledBodies(outDir) {
  const {COMMANDS} = await import(pathToFileURL(path.join(outDir, 'src', 'cli', 'command-table.js')).href)
  /** @type {Set<string>} */
  const modules = new Set()
  for (const [id, entry] of Object.entries(COMMANDS)) {
    if (!entry.direct) continue
    const match = /import\((['"])([^'"]+)\1\)/.exec(String(entry.body))
    if (!match?.[2]) throw new Error(`bin/build.js: the command table's body of ${id} is not a plain import(): ${entry.body}`)
    modules.add(match[2])
  }
  return modules
}

/**
 * Files tsc does not emit that the code reads at run time: the hook's sh (src/hook/sh/*.sh),
 * copied to the same place under the output directory.
 * @param {string} outDir
 */
function copyAssets(outDir) {
  cpSync(path.join(ROOT, 'src', 'hook', 'sh'), path.join(outDir, 'src', 'hook', 'sh'), {recursive: true})
}

/** Renames `next` onto `target`, moving the old one aside first (rename cannot replace a non-empty directory). */
function swapIn(next, target) {
  const old = path.join(ROOT, `dist.old-${process.pid}`)
  const hadOld = existsSync(target)
  if (hadOld) renameSync(target, old)
  renameSync(next, target)
  if (hadOld) rmSync(old, {recursive: true, force: true})
}

/** Commands whose help reads the installed tools, so it is rendered when asked for, never at build time. */
const READS_INSTALLED_TOOLS = new Set(['build'])

/** Variables that change how help renders; kept in dist/help.json, where bin/run.js reads them: with any set, it renders afresh. */
const HELP_VARIABLES = ['FORCE_COLOR', 'CLICOLOR_FORCE', 'OCLIF_COLUMNS', 'COLUMNS', 'DEBUG']

/**
 * `dbuild [COMMAND] --help` for the root, every topic and every command of the manifest, each
 * rendered by running the built dbuild with its output on a pipe, keyed by its argv joined by NUL.
 * @param {{commands: Record<string, unknown>}} manifest
 */
async function renderHelp(manifest) {
  // build's help lists the flags of the docker buildx installed when it runs; rendered now, it would
  // freeze the buildx (or the lack of one) of the machine that ran `npm run build`
  const ids = Object.keys(manifest.commands)
    .filter((id) => !READS_INSTALLED_TOOLS.has(id))
    .map((id) => id.split(':'))
  const topics = new Set(ids.filter((id) => id.length > 1).map((id) => id.slice(0, -1).join(' ')))
  const argvs = [['--help'], ...[...topics].map((topic) => [...topic.split(' '), '--help']), ...ids.map((id) => [...id, '--help'])]
  const env = {...process.env}
  for (const name of HELP_VARIABLES) delete env[name]
  const run = promisify(execFile)
  /** @type {Record<string, string>} */
  const help = {}
  // two at a time: a build runs beside other work
  for (let i = 0; i < argvs.length; i += 2) {
    const batch = argvs.slice(i, i + 2)
    // a help that fails or warns is left to oclif at run time, where it shows
    const outputs = await Promise.all(
      batch.map((argv) =>
        run(process.execPath, [path.join(ROOT, 'bin', 'run.js'), ...argv], {cwd: ROOT, env, maxBuffer: 1 << 20}).catch(() => undefined),
      ),
    )
    for (const [k, argv] of batch.entries()) {
      const output = outputs[k]
      if (output && output.stderr === '') help[argv.join('\0')] = output.stdout
    }
  }
  const file = path.join(DIST, 'help.json')
  writeFileSync(
    `${file}.${process.pid}.tmp`,
    JSON.stringify({node: process.version, platform: process.platform, arch: process.arch, variables: HELP_VARIABLES, help}),
  )
  renameSync(`${file}.${process.pid}.tmp`, file)
}

removeStaleScratch()
const next = path.join(ROOT, `dist.next-${process.pid}`)
try {
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', ROOT, '--outDir', next], {
    stdio: 'inherit',
  })
  const manifestTemp = `${MANIFEST}.${process.pid}.tmp`
  const manifest = await manifestFor(next)
  await bundle(next)
  copyAssets(next)
  writeFileSync(manifestTemp, `${JSON.stringify(manifest, null, 2)}\n`)
  swapIn(next, DIST)
  renameSync(manifestTemp, MANIFEST)
  await renderHelp(manifest)
} catch (error) {
  rmSync(next, {recursive: true, force: true})
  rmSync(`${MANIFEST}.${process.pid}.tmp`, {force: true})
  if (/** @type {{status?: number}} */ (error).status !== undefined) process.exit(1) // tsc printed its errors
  throw error
}
