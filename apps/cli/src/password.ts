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

export const readPassword = (passwordFile: Option.Option<string>, confirm = false) =>
  Effect.gen(function* () {
    if (Option.isSome(passwordFile)) {
      yield* warnIfShared(passwordFile.value, "password file")
      const text = yield* Effect.tryPromise({
        try: () => readFile(passwordFile.value, "utf8"),
        catch: () => new PasswordUnavailable(),
      })
      return Redacted.make(text.replace(/\r?\n$/, ""))
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
