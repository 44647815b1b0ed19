/** Requests a fetch cannot make, for the tests of body limits. */
import { request } from "node:http"

/**
 * POSTs to `url` a body that declares `declaredBytes` in content-length but sends only `start` and never ends, and
 * resolves with the status the server answers (a server that waits for the rest never answers: the test times out).
 */
export const statusOfUnfinishedBody = (
  url: string,
  headers: Record<string, string>,
  declaredBytes: number,
  start: Uint8Array,
): Promise<number> =>
  new Promise<number>((resolve, reject) => {
    const req = request(url, { method: "POST", headers: { ...headers, "content-length": String(declaredBytes) } })
    req.on("response", (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on("error", reject)
    req.write(start)
  })
