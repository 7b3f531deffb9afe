#!/usr/bin/env node
// @ts-check
/**
 * `npm run bench`: runs every test/bench/*.bench.js in name order. Each exports
 * `default async function (ctx)` and reports figures with ctx.log(name, value, ratio?, goal?);
 * lines are printed aligned, and a summary of the goals met and missed ends the run.
 * `node test/bench/run.js stage build` runs only the benches whose names start with those words.
 */
import {readdirSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

const HERE = path.dirname(fileURLToPath(import.meta.url))

/** @type {Array<{bench: string, name: string, value: string, ratio?: number, goal?: number}>} */
const lines = []

/** @param {number | undefined} ratio */
const fmtRatio = (ratio) => (ratio === undefined ? '' : `${ratio.toFixed(2)}×`)

/** @param {{name: string, value: string, ratio?: number, goal?: number}} line */
function format(line) {
  const goal = line.goal === undefined ? '' : `goal ≤${line.goal}×  ${line.ratio !== undefined && line.ratio <= line.goal ? 'met' : 'MISSED'}`
  return `  ${line.name.padEnd(44)} ${line.value.padStart(12)}  ${fmtRatio(line.ratio).padStart(7)}  ${goal}`
}

const only = process.argv.slice(2)
const files = readdirSync(HERE)
  .filter((name) => name.endsWith('.bench.js') && (only.length === 0 || only.some((word) => name.startsWith(word))))
  .sort()
for (const file of files) {
  console.log(`${file}`)
  const mod = await import(pathToFileURL(path.join(HERE, file)).href)
  const ctx = {
    /**
     * @param {string} name
     * @param {string | number} value  a number is taken as milliseconds
     * @param {number} [ratio]
     * @param {number} [goal]
     */
    log(name, value, ratio, goal) {
      const line = {bench: file, name, value: typeof value === 'number' ? `${value.toFixed(0)} ms` : value, ratio, goal}
      lines.push(line)
      console.log(format(line))
    },
  }
  await mod.default(ctx)
}

const goals = lines.filter((line) => line.goal !== undefined)
const missed = goals.filter((line) => line.ratio === undefined || line.goal === undefined || line.ratio > line.goal)
console.log(`\nsummary: ${goals.length - missed.length} of ${goals.length} goals met`)
for (const line of goals) console.log(format(line))
