/** The one secret a local server (the inference gateway, the router's admin routes) checks callers against. */
import { randomBytes, timingSafeEqual } from "node:crypto"
import type { IncomingMessage } from "node:http"
import { Redacted } from "effect"

/** The secret given, else a fresh one: `prefix` and 32 random bytes in base64url. */
export const bearerSecret = (
  given: string | Redacted.Redacted<string> | undefined,
  prefix: string,
): Redacted.Redacted<string> =>
  given === undefined
    ? Redacted.make(`${prefix}${randomBytes(32).toString("base64url")}`)
    : typeof given === "string"
      ? Redacted.make(given)
      : given

/** The token of an `Authorization: Bearer …` header, if the request sent one. */
export const bearerOf = (req: IncomingMessage): string | undefined => {
  const h = req.headers.authorization ?? ""
  return h.startsWith("Bearer ") ? h.slice(7).trim() : undefined
}

/**
 * Whether `presented` is `secret`, compared in constant time (no timing tells how much of a guess was right). An empty
 * secret matches nothing: a server configured with `""` is closed, not open to a caller who sends no token.
 */
export const secretMatches = (presented: string | undefined, secret: Redacted.Redacted<string>): boolean => {
  const got = Buffer.from(presented ?? "")
  const want = Buffer.from(Redacted.value(secret))
  return want.length > 0 && got.length === want.length && timingSafeEqual(got, want)
}
