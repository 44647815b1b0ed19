/**
 * The media emulator's multipart bodies over real HTTP: a form the platform encodes is served; one that does not parse
 * is a broker-style 400 and one declared past the 32 MB ceiling a 413 answered before the body is read — neither billed.
 */
import { describe, expect, it } from "vitest"
import { useInferenceDevnet } from "../testing/hooks.js"
import { statusOfUnfinishedBody } from "../testing/http.js"
import { E, token } from "../testing/inference.js"

const t = useInferenceDevnet({ subAccount: E(3), inferenceBrokers: [{ serviceType: "image-editing" }] })

const editForm = () => {
  const form = new FormData()
  form.set("model", "m")
  form.set("image", new Blob([new Uint8Array([0, 13, 10, 45, 45, 255])]), "in.png")
  form.set("prompt", "bluer")
  return form
}

describe("media emulator: multipart", () => {
  it("serves a platform-encoded form; a malformed or boundary-less one is a 400, one past the ceiling a 413", async () => {
    const url = `${t.provider.url}/v1/proxy/images/edits`
    const { authorization } = await token(t.user(0), t.provider.providerAddress)
    const encoded = new Response(editForm())
    const type = encoded.headers.get("content-type") ?? ""
    const bytes = new Uint8Array(await encoded.arrayBuffer())
    const post = (body: Uint8Array<ArrayBuffer>, contentType: string) =>
      fetch(url, { method: "POST", headers: { authorization, "content-type": contentType }, body })

    const ok = await post(bytes, type)
    expect(ok.status).toBe(200)
    expect((await ok.json()).data).toHaveLength(1)
    const billed = t.provider.unsettledFee(await t.user(0).getAddress())

    const cut = await post(bytes.subarray(0, bytes.length - 8), type) // the closing delimiter cut off
    expect(cut.status).toBe(400)
    expect(await cut.json()).toEqual({ error: "invalid multipart body: malformed" })
    const bare = await post(bytes, "multipart/form-data")
    expect(bare.status).toBe(400)
    expect(await bare.json()).toEqual({ error: "invalid multipart body: no boundary" })

    // a well-formed start; the rest never comes
    const status = await statusOfUnfinishedBody(url, { authorization, "content-type": type }, 33 * 1024 * 1024, bytes)
    expect(status).toBe(413)
    expect(t.provider.unsettledFee(await t.user(0).getAddress())).toBe(billed)
  })
})
