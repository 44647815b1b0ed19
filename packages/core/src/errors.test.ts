import { describe, expect, it } from "vitest"
import { describeCause, RpcError, redactUrls } from "./errors.js"

describe("URL secrets never reach an error message", () => {
  const secretUrl = "https://alice:s3cret@rpc.example.org/v3/0123456789abcdef?key=topsecret"

  it("keeps scheme and host, hides userinfo, path and query", () => {
    expect(redactUrls(`request failed (requestUrl="${secretUrl}", code=SERVER_ERROR)`)).toBe(
      'request failed (requestUrl="https://***@rpc.example.org/***", code=SERVER_ERROR)',
    )
    expect(redactUrls("connect ECONNREFUSED http://127.0.0.1:8545")).toBe("connect ECONNREFUSED http://127.0.0.1:8545")
    expect(redactUrls("see http://127.0.0.1:8545/ now")).toBe("see http://127.0.0.1:8545/ now")
  })

  it("an RpcError whose cause carries ethers' request URL prints no credential", () => {
    const cause = new Error(`server response 500 (requestUrl="${secretUrl}", requestBody="{}")`)
    const message = new RpcError({ method: "eth_chainId", cause }).message
    for (const secret of ["alice", "s3cret", "0123456789abcdef", "topsecret"]) expect(message).not.toContain(secret)
    expect(message).toContain("rpc.example.org")
    expect(describeCause(secretUrl)).toBe("https://***@rpc.example.org/***")
  })
})
