/**
 * Frame codec of the sync protocol (range-based set reconciliation, see
 * docs/SYNC.md): varints, bounds, modes, a size-accounting writer and a
 * hostile-input-safe reader. Pure: no I/O, no crypto.
 */

/** Wire version byte of funkpost sync v1: 16-byte fingerprints on the wire (not wire-compatible with NIP-77's 0x61). */
export const PROTOCOL_VERSION = 0x46
/** Wire version byte of the v1 variant with 8-byte salted fingerprints on the wire (see docs/SYNC.md). */
export const PROTOCOL_VERSION_SHORT = 0x47
/** Envelope ids are SHA-256 digests. */
export const ID_BYTES = 32
/** Fingerprints are the first 16 bytes of a SHA-256 digest (as NIP-77). */
export const FINGERPRINT_BYTES = 16
/** Wire fingerprint bytes of the 0x47 variant. */
export const SHORT_FINGERPRINT_BYTES = 8

/** The version byte that goes with a wire fingerprint length (16 or 8). */
export function versionFor (fingerprintBytes: number): number {
  if (fingerprintBytes === FINGERPRINT_BYTES) return PROTOCOL_VERSION
  if (fingerprintBytes === SHORT_FINGERPRINT_BYTES) return PROTOCOL_VERSION_SHORT
  throw new RangeError(`fingerprintBytes must be ${FINGERPRINT_BYTES} or ${SHORT_FINGERPRINT_BYTES}`)
}
/** Bytes of a salted id prefix in a PrefixList entry. */
export const PREFIX_BYTES = 5
/** Bytes of the per-session salt in the first frame. */
export const SALT_BYTES = 8
/** A varint longer than this is malformed (8 × 7 = 56 bits, enough for 2^53 - 1). */
export const MAX_VARINT_BYTES = 8
/** Largest item timestamp, ms (year 10889); keeps every bound varint within 2^53. */
export const MAX_TIMESTAMP = 2 ** 48 - 1
/** The reader rejects any frame longer than this. */
export const MAX_FRAME_BYTES = 65_536
/** The writer's default budget per frame. */
export const DEFAULT_FRAME_SIZE_LIMIT = 60_000
/** Smallest frame budget a Reconciler accepts (every single range's output fits in it). */
export const MIN_FRAME_SIZE_LIMIT = 4_096
/** Most ids + prefixes one frame may carry: as many 5-byte prefixes as fit in the largest frame. */
export const MAX_IDS_PER_FRAME = 13_107
/** Largest encoded bound: 8-byte ts-and-flag varint, 1-byte length, 32-byte prefix. */
export const MAX_BOUND_BYTES = MAX_VARINT_BYTES + 1 + ID_BYTES

export const Mode = {
  Skip: 0,
  Fingerprint: 1,
  IdList: 2,
  PrefixList: 3,
  IdListReply: 4
} as const
export type Mode = typeof Mode[keyof typeof Mode]

export class MalformedFrameError extends Error {
  static override readonly name = 'MalformedFrameError'
  override readonly name = 'MalformedFrameError'
}

/** Upper (exclusive) end of a range: items below (ts, prefix ‖ zeros). ts = Infinity is the end. */
export interface Bound { ts: number, prefix: Uint8Array }

export const INFINITY_BOUND: Bound = Object.freeze({ ts: Infinity, prefix: new Uint8Array(0) })
export const ZERO_BOUND: Bound = Object.freeze({ ts: 0, prefix: new Uint8Array(0) })

/** Compares two bounds; prefixes compare as if padded with zero bytes to 32. */
export function compareBounds (a: Bound, b: Bound): number {
  if (a.ts !== b.ts) return a.ts < b.ts ? -1 : 1
  const n = Math.max(a.prefix.length, b.prefix.length)
  for (let i = 0; i < n; i++) {
    const x = a.prefix[i] ?? 0
    const y = b.prefix[i] ?? 0
    if (x !== y) return x < y ? -1 : 1
  }
  return 0
}

/** Bytes of the NIP-77 varint (big-endian base 128, high bit on every byte but the last). */
export function varintLength (n: number): number {
  let len = 1
  while (n >= 128) { n = Math.floor(n / 128); len++ }
  return len
}

export function encodeVarint (n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`varint out of range: ${n}`)
  const out = new Uint8Array(varintLength(n))
  for (let i = out.length - 1; i >= 0; i--) {
    out[i] = (n % 128) | (i === out.length - 1 ? 0 : 0x80)
    n = Math.floor(n / 128)
  }
  return out
}

/** Growable output buffer with bound delta state; mark/rollback lets a caller undo a range that did not fit. */
export class FrameWriter {
  #buf = new Uint8Array(1024)
  #len = 0
  #lastTs = 0
  #lastBound: Bound = ZERO_BOUND

  get length (): number { return this.#len }
  get lastBound (): Bound { return this.#lastBound }

  mark (): { len: number, lastTs: number, lastBound: Bound } {
    return { len: this.#len, lastTs: this.#lastTs, lastBound: this.#lastBound }
  }

  rollback (m: { len: number, lastTs: number, lastBound: Bound }): void {
    this.#len = m.len
    this.#lastTs = m.lastTs
    this.#lastBound = m.lastBound
  }

  #reserve (n: number): void {
    if (this.#len + n <= this.#buf.length) return
    const next = new Uint8Array(Math.max(this.#buf.length * 2, this.#len + n))
    next.set(this.#buf.subarray(0, this.#len))
    this.#buf = next
  }

  byte (b: number): void { this.#reserve(1); this.#buf[this.#len++] = b }

  bytes (b: Uint8Array): void { this.#reserve(b.length); this.#buf.set(b, this.#len); this.#len += b.length }

  varint (n: number): void { this.bytes(encodeVarint(n)) }

  bound (b: Bound): void {
    const flag = b.prefix.length > 0 ? 1 : 0
    if (b.ts === Infinity) {
      this.varint(flag)
    } else {
      this.varint((b.ts - this.#lastTs + 1) * 2 + flag)
      this.#lastTs = b.ts
    }
    if (flag === 1) {
      this.byte(b.prefix.length)
      this.bytes(b.prefix)
    }
  }

  /** Starts a range [lower, upper) with its mode; writes a Skip range first if lower is past the last bound written. */
  range (lower: Bound, upper: Bound, mode: Mode): void {
    if (compareBounds(lower, this.#lastBound) !== 0) {
      this.bound(lower)
      this.varint(Mode.Skip)
    }
    this.bound(upper)
    this.varint(mode)
    this.#lastBound = upper
  }

  finish (): Uint8Array { return this.#buf.slice(0, this.#len) }
}

/** Cursor over one received frame; every read is checked against the bytes present. */
export class FrameReader {
  readonly #data: Uint8Array
  #pos = 0
  #lastTs = 0
  #lastBound: Bound = ZERO_BOUND
  #ids = 0

  constructor (data: Uint8Array, maxFrameBytes = MAX_FRAME_BYTES, expectedVersion = PROTOCOL_VERSION) {
    if (!(data instanceof Uint8Array)) throw new MalformedFrameError('frame is not bytes')
    if (data.length > maxFrameBytes) throw new MalformedFrameError(`frame of ${data.length} bytes exceeds ${maxFrameBytes}`)
    if (data.length < 1) throw new MalformedFrameError('empty frame')
    this.#data = data
    const version = this.byte()
    if (version !== expectedVersion) throw new MalformedFrameError(`unsupported version 0x${version.toString(16)}`)
  }

  get remaining (): number { return this.#data.length - this.#pos }

  byte (): number {
    if (this.#pos >= this.#data.length) throw new MalformedFrameError('frame truncated')
    return this.#data[this.#pos++] as number
  }

  bytes (n: number): Uint8Array {
    if (n > this.remaining) throw new MalformedFrameError('frame truncated')
    const out = this.#data.subarray(this.#pos, this.#pos + n)
    this.#pos += n
    return out
  }

  varint (): number {
    let n = 0
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      const b = this.byte()
      if (i === 0 && b === 0x80) throw new MalformedFrameError('non-canonical varint')
      n = n * 128 + (b & 0x7f)
      if ((b & 0x80) === 0) {
        if (n > Number.MAX_SAFE_INTEGER) throw new MalformedFrameError('varint too large')
        return n
      }
    }
    throw new MalformedFrameError('varint too long')
  }

  /** Reads a count of entries of `size` bytes each, checked against the bytes left and the per-frame id budget. */
  count (size: number): number {
    const n = this.varint()
    if (n * size > this.remaining) throw new MalformedFrameError(`count ${n} exceeds the bytes present`)
    this.#ids += n
    if (this.#ids > MAX_IDS_PER_FRAME) throw new MalformedFrameError(`more than ${MAX_IDS_PER_FRAME} ids in one frame`)
    return n
  }

  /** Reads the next upper bound; bounds must strictly increase and nothing may follow the infinity bound. */
  bound (): Bound {
    if (this.#lastBound.ts === Infinity) throw new MalformedFrameError('range after the infinity bound')
    const head = this.varint()
    const code = Math.floor(head / 2)
    let ts: number
    if (code === 0) {
      ts = Infinity
    } else {
      ts = this.#lastTs + code - 1
      if (ts > MAX_TIMESTAMP) throw new MalformedFrameError('bound timestamp too large')
      this.#lastTs = ts
    }
    const len = head % 2 === 1 ? this.byte() : 0
    if (head % 2 === 1 && (len === 0 || len > ID_BYTES || ts === Infinity)) throw new MalformedFrameError(`bound prefix of ${len} bytes`)
    const b: Bound = { ts, prefix: this.bytes(len) }
    if (compareBounds(b, this.#lastBound) <= 0) throw new MalformedFrameError('bounds not increasing')
    this.#lastBound = b
    return b
  }

  mode (): Mode {
    const m = this.varint()
    if (m > Mode.IdListReply) throw new MalformedFrameError(`unknown mode ${m}`)
    return m as Mode
  }
}

/** One decoded range; payload fields are views into the frame, never copies. */
export interface ParsedRange {
  upper: Bound
  mode: Mode
  /** Fingerprint: the 16-byte fingerprint. */
  fingerprint?: Uint8Array
  /** IdList, IdListReply: count × 32 bytes; PrefixList: count × PREFIX_BYTES bytes. */
  entries?: Uint8Array
  count?: number
  /** IdListReply: one bit per entry of the PrefixList it answers (bit i = byte i >> 3, mask 1 << (i & 7)). */
  bitmap?: Uint8Array
  bits?: number
}

export interface ParsedFrame { salt: Uint8Array | null, ranges: ParsedRange[] }

export interface ParseOptions {
  /** The first frame of a session carries the salt after the version byte. */
  withSalt: boolean
  /** Modes the sender's role may use; any other is malformed. */
  allowed: readonly Mode[]
  maxFrameBytes?: number
  /** Fingerprint bytes on the wire, 16 or 8; fixes the version byte. @default 16 */
  fingerprintBytes?: number
}

/** Decodes and validates a whole frame before any of it is acted on; throws MalformedFrameError. */
export function parseFrame (data: Uint8Array, opts: ParseOptions): ParsedFrame {
  const fpBytes = opts.fingerprintBytes ?? FINGERPRINT_BYTES
  const r = new FrameReader(data, opts.maxFrameBytes, versionFor(fpBytes))
  const salt = opts.withSalt ? r.bytes(SALT_BYTES) : null
  const ranges: ParsedRange[] = []
  while (r.remaining > 0) {
    const upper = r.bound()
    const mode = r.mode()
    if (!opts.allowed.includes(mode)) throw new MalformedFrameError(`mode ${mode} not allowed from this peer`)
    const range: ParsedRange = { upper, mode }
    if (mode === Mode.Fingerprint) {
      range.fingerprint = r.bytes(fpBytes)
    } else if (mode === Mode.IdList || mode === Mode.PrefixList || mode === Mode.IdListReply) {
      const size = mode === Mode.PrefixList ? PREFIX_BYTES : ID_BYTES
      const count = r.count(size)
      range.count = count
      range.entries = r.bytes(count * size)
      if (mode === Mode.IdListReply) {
        const bits = r.varint()
        if (Math.ceil(bits / 8) > r.remaining) throw new MalformedFrameError(`bitmap of ${bits} bits exceeds the bytes present`)
        const bitmap = r.bytes(Math.ceil(bits / 8))
        if (bits % 8 !== 0 && (bitmap[bitmap.length - 1] as number) >> (bits % 8) !== 0) {
          throw new MalformedFrameError('bitmap padding bits set')
        }
        range.bits = bits
        range.bitmap = bitmap
      }
    }
    ranges.push(range)
  }
  return { salt, ranges }
}
