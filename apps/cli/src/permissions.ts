/**
 * Secrets on disk must be private: a key file, keystore entry or password file that group/others can read, or a keys
 * directory they can write, is named on stderr with the chmod that fixes it. Pipes (`--key-file <(…)`) have no such
 * mode and are left alone.
 */
import { stat } from "node:fs/promises"
import { Effect } from "effect"
import { CliIO } from "./io.js"

export type SecretPath = "key file" | "keystore entry" | "password file" | "keys directory"

/** The warning for a path's mode, or undefined when the mode is private enough (or the path is not a file/dir). */
export const permissionWarning = (path: string, what: SecretPath, mode: number, isDirectory: boolean) => {
  const loose = isDirectory ? mode & 0o022 : mode & 0o077
  if (loose === 0) return undefined
  const fix = isDirectory ? "700" : "600"
  const who = isDirectory ? "writable by group/others" : "accessible by group/others"
  return `warning: ${what} ${path} is ${who} (mode ${(mode & 0o777).toString(8).padStart(3, "0")}); run \`chmod ${fix} ${path}\``
}

/** Writes the warning for `path` to stderr, if any; never fails (a missing path is reported by its reader). */
export const warnIfShared = (path: string, what: SecretPath) =>
  Effect.promise(() =>
    stat(path).then(
      (st) => st,
      () => undefined,
    ),
  ).pipe(
    Effect.flatMap((st) =>
      CliIO.useSync((io) => {
        if (st === undefined || (!st.isFile() && !st.isDirectory())) return
        const warning = permissionWarning(path, what, st.mode, st.isDirectory())
        if (warning !== undefined) io.stderr(`${warning}\n`)
      }),
    ),
  )
