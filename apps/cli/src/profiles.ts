/**
 * Profiles: named network + RPC + keystore-entry choices in `<config dir>/config.json`. A profile never holds key
 * material — only the name of an encrypted keystore entry.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { Data, Effect, Schema } from "effect"
import { configDir } from "./keystore.js"

export const Profile = Schema.Struct({
  network: Schema.String,
  rpc: Schema.optionalKey(Schema.String),
  key: Schema.optionalKey(Schema.String),
})
export type Profile = typeof Profile.Type

const ConfigFile = Schema.Struct({
  current: Schema.optionalKey(Schema.String),
  profiles: Schema.Record(Schema.String, Profile),
})
export type ConfigFile = typeof ConfigFile.Type

export class ConfigUnreadable extends Data.TaggedError("ConfigUnreadable")<{
  readonly path: string
  readonly reason: string
}> {
  override get message() {
    return `Config file ${this.path} is unusable: ${this.reason}`
  }
}

export class UnknownProfile extends Data.TaggedError("UnknownProfile")<{ readonly name: string }> {
  override get message() {
    return `No profile named "${this.name}" (see \`0g-compute profile list\`)`
  }
}

export const configPath = Effect.map(configDir, (dir) => join(dir, "config.json"))

/** Profile `name`, if saved: an own key only, so "toString" or "constructor" is no profile. */
export const profileNamed = (config: ConfigFile, name: string): Profile | undefined =>
  Object.hasOwn(config.profiles, name) ? config.profiles[name] : undefined

/** The config file; a missing file is an empty config. */
export const readConfig = Effect.gen(function* () {
  const path = yield* configPath
  const text = yield* Effect.tryPromise({
    try: () =>
      readFile(path, "utf8").catch((e: NodeJS.ErrnoException) => (e.code === "ENOENT" ? undefined : Promise.reject(e))),
    catch: (e) => new ConfigUnreadable({ path, reason: (e as NodeJS.ErrnoException).code ?? "unreadable" }),
  })
  if (text === undefined) return { profiles: {} } as ConfigFile
  return yield* Schema.decodeUnknownEffect(Schema.fromJsonString(ConfigFile))(text).pipe(
    Effect.mapError((e) => new ConfigUnreadable({ path, reason: e.message.split("\n")[0] ?? "invalid" })),
  )
})

/** Writes atomically (temp file + rename) with owner-only permissions. */
export const writeConfig = (config: ConfigFile) =>
  Effect.gen(function* () {
    const dir = yield* configDir
    const path = yield* configPath
    yield* Effect.tryPromise({
      try: async () => {
        await mkdir(dir, { recursive: true, mode: 0o700 })
        // Unique per write: in-process invocations share a pid.
        const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
        await writeFile(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 })
        await rename(tmp, path)
      },
      catch: (e) => new ConfigUnreadable({ path, reason: (e as NodeJS.ErrnoException).code ?? "unwritable" }),
    })
  })
