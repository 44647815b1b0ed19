/** Where a keystore password comes from: ZG_KEYSTORE_PASSWORD, a file, or a hidden prompt when a TTY is present. */
import { readFile } from "node:fs/promises"
import { Data, Effect, Option, Redacted } from "effect"
import { Prompt } from "effect/cli"
import { CliIO } from "./io.js"
import { warnIfShared } from "./permissions.js"

export class PasswordUnavailable extends Data.TaggedError("PasswordUnavailable") {
  override get message() {
    return "A keystore password is needed: set ZG_KEYSTORE_PASSWORD, pass --password-file, or run in a terminal"
  }
}

/** --password-file names something that cannot serve as one: missing, a directory, unreadable, or empty. */
export class PasswordFileUnusable extends Data.TaggedError("PasswordFileUnusable")<{
  readonly path: string
  readonly reason: string
}> {
  override get message() {
    return `Cannot use password file ${this.path}: ${this.reason}`
  }
}

/** The password; `confirm` when a key is about to be encrypted with it (then an empty one is refused). */
export const readPassword = (passwordFile: Option.Option<string>, confirm = false) =>
  Effect.gen(function* () {
    if (Option.isSome(passwordFile)) {
      const path = passwordFile.value
      yield* warnIfShared(path, "password file")
      const text = yield* Effect.tryPromise({
        try: () => readFile(path, "utf8"),
        catch: (e) => new PasswordFileUnusable({ path, reason: (e as NodeJS.ErrnoException).code ?? "unreadable" }),
      })
      const password = text.replace(/\r?\n$/, "")
      // An empty file (an unset variable in `<(printf %s "$PW")`) would encrypt the key with no password at all.
      if (confirm && password === "") return yield* new PasswordFileUnusable({ path, reason: "it is empty" })
      return Redacted.make(password)
    }
    const io = yield* CliIO
    const env = io.env.ZG_KEYSTORE_PASSWORD
    if (env !== undefined && env !== "") return Redacted.make(env)
    if (!io.stdinIsTTY) return yield* new PasswordUnavailable()
    const first = yield* Prompt.run(Prompt.Password({ message: "Keystore password" }))
    if (confirm) {
      const again = yield* Prompt.run(Prompt.Password({ message: "Repeat password" }))
      if (Redacted.value(first) !== Redacted.value(again)) return yield* new PasswordUnavailable()
    }
    return first as Redacted.Redacted<string>
  }).pipe(Effect.catchTag("QuitError", () => Effect.fail(new PasswordUnavailable())))
