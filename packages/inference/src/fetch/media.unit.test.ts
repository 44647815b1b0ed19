/**
 * The client's rules for media services without a network: which route belongs to which service type, the image
 * hashes a decentralized broker signs (strict base64), and the broker's billing of images and transcriptions.
 */
import { createHash } from "node:crypto"
import { describe, expect, it } from "vitest"
import type { ServiceView } from "../service-view.js"
import { imageHashes, mediaBill, refuseUnverifiableMedia, routeKind, serviceKind } from "./media.js"

const price = (perToken: bigint) => ({ perToken, perTokenZG: "", perMillionZG: "" })
const view = (serviceType: string) =>
  ({ provider: "0xP", serviceType, inputPrice: price(3n), outputPrice: price(5n) }) as unknown as ServiceView
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex")

describe("media services (client rules)", () => {
  it("maps routes to service types and refuses another type's route", () => {
    expect(routeKind("/images/generations")).toBe("text-to-image")
    expect(routeKind("/v1/audio/transcriptions/")).toBe("speech-to-text")
    expect(routeKind("/embeddings")).toBeUndefined()
    expect(serviceKind(view("image-editing"), "/v1/proxy/images/edits")).toBe("image-editing")
    expect(() => serviceKind(view("chatbot"), "/v1/proxy/images/edits")).toThrow(/image-editing route/)
    expect(() => serviceKind(view("speech-to-text"), "/v1/proxy/chat/completions")).toThrow(/chatbot route/)
    // An unknown service type or route is left to the provider.
    expect(serviceKind(view("video-generation"), "/v1/proxy/images/edits")).toBe("image-editing")
    expect(serviceKind(view("chatbot"), "/v1/proxy/embeddings")).toBe("chatbot")
  })

  it("hashes decoded images; any non-strict base64 entry gives no image hashes (the body hash then decides)", () => {
    const a = new Uint8Array([1, 2, 3, 4])
    const b = new Uint8Array([250, 251])
    const json = {
      data: [{ b64_json: Buffer.from(a).toString("base64") }, { b64_json: Buffer.from(b).toString("base64") }],
    }
    expect(imageHashes(json)).toEqual([sha(a), sha(b)])
    expect(imageHashes({ data: [{ b64_json: "AQID@A==" }] })).toBeUndefined()
    expect(imageHashes({ data: [{ url: "http://x/1.png" }] })).toBeUndefined()
    expect(imageHashes({ data: [] })).toBeUndefined()
  })

  it("refuses url-format images and streamed transcriptions before sending, reading the form the platform parses", async () => {
    const enc = (s: string) => new TextEncoder().encode(s)
    const MP = "multipart/form-data; boundary=B"
    const json = enc('{"prompt":"x","response_format":"url"}')
    await expect(refuseUnverifiableMedia("text-to-image", json, "application/json")).rejects.toThrow(/b64_json/)
    const form = '--B\r\nContent-Disposition: form-data; name="response_format"\r\n\r\nurl\r\n--B--\r\n'
    await expect(refuseUnverifiableMedia("image-editing", enc(form), MP)).rejects.toThrow(/b64_json/)
    const stream = '--B\r\nContent-Disposition: form-data; name="stream"\r\n\r\ntrue\r\n--B--\r\n'
    await expect(refuseUnverifiableMedia("speech-to-text", enc(stream), MP)).rejects.toThrow(/stream/)
    await expect(refuseUnverifiableMedia("text-to-image", enc('{"prompt":"x"}'), undefined)).resolves.toEqual({
      requestedImages: 1,
    })
    // A file whose bytes merely contain a field header is data, not a field (a substring search was fooled by it).
    const inFile = new FormData()
    inFile.set("file", new Blob(['name="stream"\r\n\r\ntrue\r\n']), "a.wav")
    const r = new Response(inFile)
    const bytes = new Uint8Array(await r.arrayBuffer())
    const type = r.headers.get("content-type") ?? ""
    await expect(refuseUnverifiableMedia("speech-to-text", bytes, type)).resolves.toEqual({ requestedImages: 1 })
    // A multipart body that does not parse is refused (typed) before anything is sent.
    const cut = refuseUnverifiableMedia("speech-to-text", bytes.subarray(0, bytes.length - 8), type)
    await expect(cut).rejects.toMatchObject({ _tag: "UnsupportedRequest", reason: expect.stringMatching(/malformed/) })
  })

  it("reads n as the broker bills an edit by it, and refuses a form naming n twice before sending", async () => {
    const enc = (s: string) => new TextEncoder().encode(s)
    const MP = "multipart/form-data; boundary=B"
    const field = (name: string, value: string) =>
      `--B\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`
    const edit = (parts: string) => refuseUnverifiableMedia("image-editing", enc(`${parts}--B--\r\n`), MP)
    await expect(edit(field("n", "4"))).resolves.toEqual({ requestedImages: 4 })
    await expect(edit(field("prompt", "x"))).resolves.toEqual({ requestedImages: 1 })
    await expect(edit(field("n", "0"))).resolves.toEqual({ requestedImages: 1 })
    await expect(edit(field("n", "1") + field("n", "10"))).rejects.toMatchObject({
      _tag: "UnsupportedRequest",
      reason: expect.stringMatching(/n more than once/),
    })
    const json = refuseUnverifiableMedia("text-to-image", enc('{"prompt":"x","n":3}'), "application/json")
    await expect(json).resolves.toEqual({ requestedImages: 3 })
    // An edit is billed for the images asked for, even when fewer come back; a generation for those delivered.
    const fewer = { data: [{}] }
    expect(mediaBill(view("image-editing"), "image-editing", fewer, "", { requestedImages: 4 })).toMatchObject({
      images: 4,
      fee: 20n,
    })
    expect(mediaBill(view("text-to-image"), "text-to-image", fewer, "", { requestedImages: 4 })).toMatchObject({
      images: 1,
      fee: 5n,
    })
  })

  it("bills as the broker: images × output price; seconds × input price; tokens; verbose duration; words × 2", () => {
    const img = mediaBill(view("text-to-image"), "text-to-image", { data: [{}, {}, {}] }, "")
    expect(img).toMatchObject({ images: 3, inputFee: 0n, outputFee: 15n, fee: 15n })
    const stt = view("speech-to-text")
    const bill = (json: unknown, text = JSON.stringify(json)) => mediaBill(stt, "speech-to-text", json, text)
    expect(bill({ text: "x", usage: { type: "duration", seconds: 2.5 } })).toMatchObject({ audioSeconds: 3, fee: 9n })
    expect(bill({ text: "x", usage: { type: "duration", seconds: 0.2 } })).toMatchObject({ audioSeconds: 1, fee: 3n })
    expect(bill({ text: "x", usage: { type: "tokens", input_tokens: 10, output_tokens: 2 } })).toMatchObject({
      promptTokens: 10,
      completionTokens: 2,
      fee: 40n,
    })
    expect(bill({ text: "x", duration: 4, usage: { type: "duration", seconds: 0 } })).toMatchObject({ fee: 12n })
    // No usage: the broker counts the words of the whole body, 2 tokens each, at the output price.
    expect(bill(undefined, "one two three")).toMatchObject({ completionTokens: 6, fee: 30n })
  })
})
