/** The router's admin API as the tests call it, over real HTTP with the admin token. */
export interface AdminApi {
  readonly admin: (path: string, init?: RequestInit) => Promise<Response>
  /** Creates a virtual key (`label` defaulted); any status but 201 fails the calling test. */
  readonly createKey: (body: Record<string, unknown>) => Promise<{ key: { id: string }; secret: string }>
}

/** `url()` is read per call, so a test file can make this before its router has started. */
export const adminApi = (url: () => string, token: string, label: string): AdminApi => {
  const admin = (path: string, init: RequestInit = {}) =>
    fetch(`${url()}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers },
    })
  const createKey = async (body: Record<string, unknown>) => {
    const res = await admin("/admin/keys", { method: "POST", body: JSON.stringify({ label, ...body }) })
    if (res.status !== 201) throw new Error(`createKey: expected 201, got ${res.status}: ${await res.text()}`)
    return (await res.json()) as { key: { id: string }; secret: string }
  }
  return { admin, createKey }
}
