/**
 * What may reach a terminal: control characters and bidi overrides from providers or files are shown escaped, and
 * the secret parts of RPC URLs (`http://user:pass@host/APIKEY`) never appear in an error or a document.
 */

/** Secret fragments of the URLs this invocation uses, longest first when applied. */
const secrets = new Set<string>()

const addSecret = (s: string, min: number) => {
  if (s.length < min) return
  secrets.add(s)
  try {
    const decoded = decodeURIComponent(s)
    if (decoded.length >= min) secrets.add(decoded)
  } catch {
    // not percent-encoded: the raw form is enough
  }
}

/** Remembers the userinfo, path segments and query values of a configured URL so `redact` hides them everywhere. */
export const registerUrl = (url: string | undefined) => {
  if (url === undefined) return
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return
  }
  addSecret(u.username, 4)
  addSecret(u.password, 4)
  for (const segment of u.pathname.split("/")) addSecret(segment, 6)
  for (const [, value] of u.searchParams) addSecret(value, 6)
}

/** A URL as it may be printed: scheme and host only, `/***` standing for any path or query. */
export const rpcDisplay = (url: string): string => {
  try {
    const u = new URL(url)
    return `${u.protocol}//${u.host}${u.pathname !== "/" || u.search !== "" ? "/***" : ""}`
  } catch {
    return redact(url)
  }
}

const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi

/** A value with a private key's shape: 64 hex digits, with or without 0x. */
export const looksLikeKey = (s: string) => /^\s*(0x)?[0-9a-fA-F]{64}\s*$/.test(s)

/** What stands for a typed value shaped like a private key (pasted where a name, path, address or amount belongs). */
export const HIDDEN_KEY = "<64 hex digits, not shown: it may be a private key>"

// Error lines quote what was typed ("…"); the hashes and roots they report are printed bare, so those stay readable.
const QUOTED_KEY = /"\s*(?:0x)?[0-9a-fA-F]{64}\s*"/g

/** An error line with any quoted key-shaped input hidden (never applied to documents, whose hashes are quoted). */
export const hideTypedKeys = (line: string) => line.replace(QUOTED_KEY, `"${HIDDEN_KEY}"`)

/** Hides URL userinfo anywhere in the text and the registered secret fragments. */
export const redact = (text: string): string => {
  let out = text.replace(USERINFO, "$1***@")
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join("***")
  return out
}

/** C0 controls (tab excepted), DEL, C1 controls, and the bidi embedding/override/isolate marks. */
export const isTerminalControl = (code: number) =>
  (code < 0x20 && code !== 0x09) ||
  (code >= 0x7f && code <= 0x9f) ||
  code === 0x200e ||
  code === 0x200f ||
  (code >= 0x202a && code <= 0x202e) ||
  (code >= 0x2066 && code <= 0x2069)

const escapeCode = (code: number) =>
  code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`

/** Escapes what a terminal would interpret (ESC sequences, carriage returns, bidi overrides); keeps tabs. */
export const neutralise = (text: string, keepNewlines = false): string => {
  let out = ""
  for (const ch of text) {
    const code = ch.charCodeAt(0)
    out += isTerminalControl(code) && !(keepNewlines && code === 0x0a) ? escapeCode(code) : ch
  }
  return out
}
