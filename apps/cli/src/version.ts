/**
 * The CLI's version, from its package.json: esbuild inlines the JSON into the bundle at build time, tsx reads it in
 * development. A module of its own with an annotated type, so no command's inferred type depends on the JSON.
 */
import manifest from "../package.json" with { type: "json" }

export const VERSION: string = manifest.version
