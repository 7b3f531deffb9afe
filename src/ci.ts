/** Whether this run is in CI: any CI value but empty, `false` or `0`, as most CI tools and libraries read it. */
export function isCI(env: NodeJS.ProcessEnv): boolean {
  const value = env.CI?.trim().toLowerCase()
  return value !== undefined && value !== '' && value !== 'false' && value !== '0'
}
