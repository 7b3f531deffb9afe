/** Types for engine.js (plain JavaScript so the runner, demo and benchmark need no TypeScript loader). */
export const LOCAL_BASE_IMAGE: string

export interface EngineOptions {
  graphdriver?: boolean
  containerd?: boolean
  registry?: boolean
  log?: (message: string) => void
}

export interface EngineState {
  available: boolean
  reason?: string
  graphdriverHost?: string
  containerdHost?: string
  registry?: string
  /** DOCKER_CONFIG for the private engine, so tests never touch the user's ~/.docker */
  dockerConfig?: string
  baseImage?: string
  localBaseImage: string
  pids: number[]
  dir?: string
}

export function ensureInstalled(log?: (message: string) => void): void
export function dockerEnv(host: string, dockerConfig: string): NodeJS.ProcessEnv
export function startEngine(options?: EngineOptions): Promise<EngineState & {stop: () => Promise<void>}>
export function stopEngine(state: Pick<EngineState, 'pids' | 'dir'>): Promise<void>
