/** The word the docker-dbuild plugin script puts before docker's argv (see pluginScript); never typed by a user. Its own module: src/main.ts reads it on every start. */
export const PLUGIN_ENTRY = '__docker-cli-plugin'
