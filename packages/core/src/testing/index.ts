/**
 * Test support shared by the workspace's tests: the workspace-only entry `@0g-compute/core/testing`. It is listed in
 * package.json "exports" but not in publishConfig, and the build excludes src/testing, so no user bundle carries it.
 */

export { type LocalServer, listenLocal, type ScriptedServer, scriptedServer, taggedHttpClient } from "./http.js"
export { failure, lateBound, pseudoRandomBytes } from "./values.js"
