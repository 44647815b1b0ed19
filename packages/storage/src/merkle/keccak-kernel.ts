/**
 * A batch Keccak-256 kernel emitted as WebAssembly at load time (no binary blob, no build step).
 *
 * A 0G merkle tree is millions of fixed-size hashes (256-byte leaves, 64-byte parents); calling a general hasher
 * once per node costs more in call overhead than in permutations. The kernel hashes whole runs of fixed-size items
 * per call, with the 25 lanes held in WASM locals and the padding of the last block folded into constants.
 *
 * Exports: `memory`, `leaves(src, n, dst)` (n × 256-byte items → n × 32-byte digests) and `pairs(src, n, dst)`
 * (n × 64-byte items; `dst` may equal `src` for in-place level reduction). Bytes [0, 192) of memory hold the round
 * constants: callers use addresses from {@link KERNEL_IO_BASE} on.
 */

// ---- Keccak-f[1600] constants, derived rather than transcribed ----

/** Round constants from the degree-8 LFSR of the Keccak reference. */
const roundConstants = (): bigint[] => {
  let r = 1
  const rcBit = (): number => {
    const bit = r & 1
    r = r & 0x80 ? ((r << 1) ^ 0x171) & 0xff : (r << 1) & 0xff
    return bit
  }
  const out: bigint[] = []
  for (let round = 0; round < 24; round++) {
    let rc = 0n
    for (let j = 0; j < 7; j++) if (rcBit()) rc |= 1n << BigInt((1 << j) - 1)
    out.push(rc)
  }
  return out
}

/** rho offsets and the pi lane permutation, indexed by lane x + 5y. */
const rhoPi = (): { rho: number[]; pi: number[] } => {
  const rho = new Array<number>(25).fill(0)
  let x = 1
  let y = 0
  for (let t = 0; t < 24; t++) {
    rho[x + 5 * y] = (((t + 1) * (t + 2)) / 2) % 64
    ;[x, y] = [y, (2 * x + 3 * y) % 5]
  }
  const pi = Array.from({ length: 25 }, (_, i) => {
    const lx = i % 5
    const ly = Math.floor(i / 5)
    return ly + 5 * ((2 * lx + 3 * ly) % 5)
  })
  return { rho, pi }
}

// ---- a minimal WebAssembly assembler ----

const uleb = (n: number): number[] => {
  const out: number[] = []
  do {
    let b = n & 0x7f
    n >>>= 7
    if (n !== 0) b |= 0x80
    out.push(b)
  } while (n !== 0)
  return out
}

const sleb = (v: bigint): number[] => {
  const out: number[] = []
  for (;;) {
    const b = Number(v & 0x7fn)
    v >>= 7n
    if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) {
      out.push(b)
      return out
    }
    out.push(b | 0x80)
  }
}

const OP = {
  block: 0x02,
  loop: 0x03,
  end: 0x0b,
  brIf: 0x0d,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i64Load: 0x29,
  i64Store: 0x37,
  i32Const: 0x41,
  i64Const: 0x42,
  i32Eqz: 0x45,
  i32Ne: 0x47,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i64And: 0x83,
  i64Xor: 0x85,
  i64Rotl: 0x89,
  void: 0x40,
  i32: 0x7f,
  i64: 0x7e,
} as const

class Body {
  readonly code: number[] = []
  get(l: number) {
    this.code.push(OP.localGet, ...uleb(l))
  }
  set(l: number) {
    this.code.push(OP.localSet, ...uleb(l))
  }
  i64(v: bigint) {
    this.code.push(OP.i64Const, ...sleb(BigInt.asIntN(64, v)))
  }
  i32(v: number) {
    this.code.push(OP.i32Const, ...sleb(BigInt(v)))
  }
  op(...bytes: number[]) {
    this.code.push(...bytes)
  }
  /** i64.load with a static byte offset from the i32 address on the stack. */
  load(offset: number) {
    this.code.push(OP.i64Load, 3, ...uleb(offset))
  }
  store(offset: number) {
    this.code.push(OP.i64Store, 3, ...uleb(offset))
  }
}

// Local layout of both functions: params src=0, n=1, dst=2; then i64 lanes.
const SRC = 0
const N = 1
const DST = 2
const S = 3 // s0..s24
const C = S + 25 // c0..c4
const D = C + 5 // d0..d4
const I64_LOCALS = D + 5 - S
const ROUND = D + 5 // the one i32 local, after the i64 ones
/** Byte address of the 24 round constants in linear memory (a data segment). */
const RC_TABLE = 0
/** First address callers may use for their data. */
export const KERNEL_IO_BASE = 1024

/**
 * One Keccak-f[1600] permutation over lanes s0..s24 with few live locals: theta's D is applied column by column,
 * rho and pi move lanes in place along pi's single 24-cycle, chi works row by row through c0..c4. The round body is
 * unrolled but the 24 rounds are a loop (round constants read from memory): fully unrolled code is 80 KB and runs
 * ~1.7× slower in V8 than this 3 KB loop.
 */
const emitPermutation = (f: Body, rho: number[], pi: number[]) => {
  // pi maps lane i to pi[i]; walk the cycle starting at lane 1.
  const cycle: number[] = [1]
  while (cycle.length < 24) cycle.push(pi[cycle[cycle.length - 1] as number] as number)
  f.i32(0)
  f.set(ROUND)
  f.op(OP.loop, OP.void)
  for (let x = 0; x < 5; x++) {
    f.get(S + x)
    for (let y = 1; y < 5; y++) {
      f.get(S + x + 5 * y)
      f.op(OP.i64Xor)
    }
    f.set(C + x)
  }
  for (let x = 0; x < 5; x++) {
    f.get(C + ((x + 4) % 5))
    f.get(C + ((x + 1) % 5))
    f.i64(1n)
    f.op(OP.i64Rotl, OP.i64Xor)
    f.set(D)
    for (let y = 0; y < 5; y++) {
      f.get(S + x + 5 * y)
      f.get(D)
      f.op(OP.i64Xor)
      f.set(S + x + 5 * y)
    }
  }
  // rho + pi: t = s[1]; for each lane j along the cycle: (s[pi[j]], t) = (rotl(t, rho[j]), s[pi[j]])
  f.get(S + 1)
  f.set(D + 1)
  for (const j of cycle) {
    const to = pi[j] as number
    f.get(S + to)
    f.set(D + 2)
    f.get(D + 1)
    f.i64(BigInt(rho[j] as number))
    f.op(OP.i64Rotl)
    f.set(S + to)
    f.get(D + 2)
    f.set(D + 1)
  }
  for (let y = 0; y < 5; y++) {
    for (let x = 0; x < 5; x++) {
      f.get(S + x + 5 * y)
      f.set(C + x)
    }
    for (let x = 0; x < 5; x++) {
      f.get(C + x)
      f.get(C + ((x + 1) % 5))
      f.i64(-1n)
      f.op(OP.i64Xor)
      f.get(C + ((x + 2) % 5))
      f.op(OP.i64And, OP.i64Xor)
      if (x === 0 && y === 0) {
        f.get(ROUND)
        f.load(RC_TABLE)
        f.op(OP.i64Xor)
      }
      f.set(S + x + 5 * y)
    }
  }
  f.get(ROUND)
  f.i32(8)
  f.op(OP.i32Add, OP.localTee, ...uleb(ROUND))
  f.i32(8 * 24)
  f.op(OP.i32Ne, OP.brIf, 0, OP.end)
}

/**
 * Loop over n items of `width` bytes: absorb (lanes loaded from src, padding folded in), permute, store 4 lanes.
 * `width` is 64 (one block) or 256 (136 + 120 bytes: two blocks).
 */
const emitHashLoop = (width: 64 | 256, rho: number[], pi: number[]): number[] => {
  const f = new Body()
  const absorb = (laneCount: number, byteOffset: number, xor: boolean) => {
    for (let i = 0; i < laneCount; i++) {
      f.get(SRC)
      f.load(byteOffset + 8 * i)
      if (xor) {
        f.get(S + i)
        f.op(OP.i64Xor)
      }
      f.set(S + i)
    }
  }
  const pad = (firstLane: number, xor: boolean) => {
    // multi-rate padding 0x01 … 0x80 within the 136-byte block: lane `firstLane` gets 0x01, lane 16 gets 0x80<<56.
    for (let i = firstLane; i < 25; i++) {
      let v = 0n
      if (i === firstLane) v |= 1n
      if (i === 16) v |= 0x80n << 56n
      if (xor) {
        if (v === 0n) continue
        f.get(S + i)
        f.i64(v)
        f.op(OP.i64Xor)
      } else f.i64(v)
      f.set(S + i)
    }
  }
  f.op(OP.block, OP.void, OP.loop, OP.void)
  f.get(N)
  f.op(OP.i32Eqz, OP.brIf, 1)
  if (width === 64) {
    absorb(8, 0, false)
    pad(8, false)
    emitPermutation(f, rho, pi)
  } else {
    absorb(17, 0, false)
    for (let i = 17; i < 25; i++) {
      f.i64(0n)
      f.set(S + i)
    }
    emitPermutation(f, rho, pi)
    absorb(15, 136, true)
    pad(15, true)
    emitPermutation(f, rho, pi)
  }
  for (let i = 0; i < 4; i++) {
    f.get(DST)
    f.get(S + i)
    f.store(8 * i)
  }
  for (const [local, step] of [
    [SRC, width],
    [DST, 32],
  ] as const) {
    f.get(local)
    f.i32(step)
    f.op(OP.i32Add)
    f.set(local)
  }
  f.get(N)
  f.i32(1)
  f.op(OP.i32Sub)
  f.set(N)
  f.op(OP.brIf - 1, 0) // br 0: continue the loop
  f.op(OP.end, OP.end, OP.end)
  const locals = [2, ...uleb(I64_LOCALS), OP.i64, 1, OP.i32]
  const body = [...locals, ...f.code]
  return [...uleb(body.length), ...body]
}

const section = (id: number, content: number[]): number[] => [id, ...uleb(content.length), ...content]
const name = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))]

/** The kernel module's bytes. */
export const kernelBytes = (): Uint8Array<ArrayBuffer> => {
  const rcs = roundConstants()
  const { rho, pi } = rhoPi()
  const type = section(1, [1, 0x60, 3, OP.i32, OP.i32, OP.i32, 0])
  const funcs = section(3, [2, 0, 0])
  const memory = section(5, [1, 0, 8]) // 8 pages min, growable
  const exports = section(7, [3, ...name("memory"), 2, 0, ...name("leaves"), 0, 0, ...name("pairs"), 0, 1])
  const code = section(10, [2, ...emitHashLoop(256, rho, pi), ...emitHashLoop(64, rho, pi)])
  const table: number[] = []
  for (const rc of rcs) for (let b = 0; b < 8; b++) table.push(Number((rc >> BigInt(8 * b)) & 0xffn))
  const data = section(11, [1, 0, OP.i32Const, ...sleb(BigInt(RC_TABLE)), OP.end, ...uleb(table.length), ...table])
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    1,
    0,
    0,
    0,
    ...type,
    ...funcs,
    ...memory,
    ...exports,
    ...code,
    ...data,
  ])
}

export interface KernelExports {
  readonly memory: WebAssembly.Memory
  readonly leaves: (src: number, n: number, dst: number) => void
  readonly pairs: (src: number, n: number, dst: number) => void
}

let compiled: Promise<WebAssembly.Module> | undefined

/** The compiled kernel module (compiled once; a Module can be posted to worker threads). */
export const kernelModule = (): Promise<WebAssembly.Module> => {
  if (!compiled) compiled = WebAssembly.compile(kernelBytes())
  return compiled
}

export const instantiateKernel = async (module?: WebAssembly.Module): Promise<KernelExports> => {
  const instance = await WebAssembly.instantiate(module ?? (await kernelModule()), {})
  return instance.exports as unknown as KernelExports
}
