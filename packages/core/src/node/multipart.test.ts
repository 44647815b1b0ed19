/**
 * Multipart parsing is the platform's: a form the platform encoded parses back byte for byte, and a body that is not
 * a form is refused with the reason a server can answer.
 */
import { describe, expect, it } from "vitest"
import { formBytes, formText, InvalidMultipartBody, isFormData, parseFormData } from "./index.js"

const encode = async (form: FormData) => {
  const r = new Response(form)
  return { bytes: new Uint8Array(await r.arrayBuffer()), type: r.headers.get("content-type") ?? "" }
}

const reason = (p: Promise<unknown>) =>
  p.then(
    () => "parsed",
    (e: unknown) => (e instanceof InvalidMultipartBody ? e.reason : String(e)),
  )

describe("parseFormData", () => {
  it("reads back text fields and binary files the platform encoded", async () => {
    const file = new Uint8Array([0, 255, 13, 10, 45, 45, 13, 10])
    const form = new FormData()
    form.set("prompt", "a cat\r\nwith a hat")
    form.set("image", new Blob([file]), "x.png")
    const { bytes, type } = await encode(form)
    const parsed = await parseFormData(bytes, type)
    expect(formText(parsed, "prompt")).toBe("a cat\r\nwith a hat")
    expect(formText(parsed, "image")).toBeUndefined()
    expect(await formBytes(parsed, "image")).toEqual(file)
    expect(await formBytes(parsed, "missing")).toBeUndefined()
  })

  it("refuses a body that is not a form, a content type without a boundary, and a malformed body", async () => {
    const { bytes, type } = await encode(new FormData())
    expect(await reason(parseFormData(bytes, "application/json"))).toBe("not-multipart")
    expect(await reason(parseFormData(bytes, "application/x-www-form-urlencoded"))).toBe("not-multipart")
    expect(await reason(parseFormData(bytes, undefined))).toBe("not-multipart")
    expect(await reason(parseFormData(bytes, "multipart/form-data"))).toBe("no-boundary")
    expect(await reason(parseFormData(new TextEncoder().encode("garbage"), type))).toBe("syntax")
    // A body cut before its closing delimiter is not a form either.
    const full = new FormData()
    full.set("n", "2")
    const enc = await encode(full)
    expect(await reason(parseFormData(enc.bytes.subarray(0, enc.bytes.length - 8), enc.type))).toBe("syntax")
    expect(isFormData("Multipart/Form-Data; boundary=x")).toBe(true)
    expect(isFormData("multipart/mixed; boundary=x")).toBe(false)
  })
})
