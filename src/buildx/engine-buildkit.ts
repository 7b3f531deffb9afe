/**
 * Which BuildKit a Docker Engine has built in. Debian and Ubuntu build dockerd without version
 * information, so its built-in builder reports BuildKit `v0.0.0+unknown`; the engine's own version
 * still says which BuildKit moby vendors (vendor.mod, go.mod from Docker 29).
 */
import {older, parseVersion, type VersionParts} from '../version.js'

/**
 * [first engine release, the BuildKit it vendors], one row per change, read from moby's vendor.mod
 * and go.mod at every release tag from v23.0.0 to docker-v29.7.2. A pseudo-version is the release
 * before it (see parseVersion).
 */
const VENDORED: ReadonlyArray<readonly [string, string]> = [
  ['23.0.0', '0.10.6'],
  ['24.0.0', '0.11.6'],
  ['25.0.0', '0.12.4'],
  ['25.0.2', '0.12.5'],
  ['26.0.0', '0.13.1'],
  ['26.1.1', '0.13.2'],
  ['27.0.1', '0.14.1'],
  ['27.1.0', '0.15.0'],
  ['27.1.2', '0.15.1'],
  ['27.2.0', '0.15.2'],
  ['27.3.0', '0.16.0'],
  ['27.4.0', '0.17.3'],
  ['27.5.0', '0.18.2'],
  ['28.0.0', '0.20.0'],
  ['28.0.2', '0.20.1'],
  ['28.0.3', '0.20.2'],
  ['28.1.0', '0.21.0'],
  ['28.2.0', '0.22.0'],
  ['28.3.0', '0.23.1'],
  ['28.3.1', '0.23.2'],
  ['28.4.0', '0.24.0'],
  ['28.5.0', '0.25.0'],
  ['28.5.1', '0.25.1'],
  ['28.5.2', '0.25.2'],
  ['29.1.0', '0.26.2'],
  ['29.1.4', '0.26.3'],
  ['29.2.0', '0.27.0'],
  ['29.2.1', '0.27.1'],
  ['29.3.0', '0.28.0'],
  ['29.3.1', '0.28.1'],
  ['29.4.0', '0.29.0'],
  ['29.5.0', '0.30.0'],
  ['29.6.0', '0.31.0'],
  ['29.6.1', '0.31.1'],
  ['29.6.2', '0.31.2'],
  ['29.7.0', '0.32.0'],
  ['29.7.2', '0.32.2'],
]
/** The newest release the table was read at: a later engine has at least its BuildKit. */
const LAST_READ = '29.7.2'

const parts = (text: string): VersionParts => parseVersion(text)?.parts ?? [0, 0, 0]

export interface VendoredBuildkit {
  /** `v0.25.2`. */
  version: string
  /** The engine is newer than the table: its BuildKit is this one or newer. */
  atLeast: boolean
}

/** The BuildKit built into Docker Engine `engine` (`28.5.2+dfsg4`); undefined before 23.0 or for text that is no version. */
export function vendoredBuildkit(engine: string): VendoredBuildkit | undefined {
  const have = parseVersion(engine)?.parts
  if (!have) return undefined
  const row = VENDORED.findLast(([release]) => !older(have, parts(release)))
  if (!row) return undefined
  return {version: `v${row[1]}`, atLeast: older(parts(LAST_READ), have)}
}
