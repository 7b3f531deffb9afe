/**
 * The word the docker-dbuild plugin script puts before docker's argv (see pluginScript); never typed
 * by a user. Its own module: src/main.ts reads it on every start.
 */
export const PLUGIN_ENTRY = '__docker-cli-plugin'
/** The word the docker-buildx shim puts before its argv (see shimScript); never typed by a user. */
export const BUILDX_SHIM_ENTRY = '__buildx-shim'
/** `DBUILD_BUILDX_SHIM=0`: the shim runs the real buildx. dbuild sets it for every docker it starts, so the shim never calls dbuild back. */
export const SHIM_BYPASS = 'DBUILD_BUILDX_SHIM'
