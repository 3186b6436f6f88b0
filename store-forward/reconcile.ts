/**
 * Range-based set reconciliation (the idea behind negentropy / NIP-77), pure
 * and transport-free: a sorted item set with range fingerprints, and a
 * Reconciler that turns frames into replies plus have/need id lists.
 * docs/SYNC.md is the protocol description; reconcile-frames.ts the codec.
 */
import { createHash, randomBytes } from 'node:crypto'
import {
  DEFAULT_FRAME_SIZE_LIMIT, FINGERPRINT_BYTES, FrameWriter, ID_BYTES, INFINITY_BOUND, MAX_BOUND_BYTES,
  MAX_FRAME_BYTES, MAX_TIMESTAMP, MIN_FRAME_SIZE_LIMIT, MalformedFrameError, Mode, PREFIX_BYTES, SALT_BYTES,
  ZERO_BOUND, encodeVarint, parseFrame, versionFor
} from './reconcile-frames.js'
import type { Bound, ParsedRange } from './reconcile-frames.js'

export { MalformedFrameError } from './reconcile-frames.js'
export type { Bound } from './reconcile-frames.js'

/** A differing range of more than LARGE_RANGE items is split into this many buckets (where differences are dense). */
export const LARGE_BUCKETS = 16
/** Item count above which a range counts as large. */
export const LARGE_RANGE = 2048
/** A differing range of at most LARGE_RANGE items is split into this many buckets (where differences are sparse). */
export const BUCKETS = 3
/** The initiator lists a differing range as salted prefixes when it holds at most this many items. */
export const PREFIX_LIST_THRESHOLD = 24
/** The responder lists a differing range as full ids when it holds at most this many items. */
export const ID_LIST_THRESHOLD = 2
/** Most frames one side processes in a session. */
export const MAX_ROUNDS = 64
/** Room kept free in every frame for the continuation range (Skip + ∞ Fingerprint). */
const CONTINUATION_RESERVE = MAX_BOUND_BYTES + 1 + 2 + 1 + FINGERPRINT_BYTES + 3

export class InvalidItemError extends Error {
  static override readonly name = 'InvalidItemError'
  override readonly name = 'InvalidItemError'
}

export class RoundLimitError extends Error {
  static override readonly name = 'RoundLimitError'
  override readonly name = 'RoundLimitError'
}

export class ReconcilerStateError extends Error {
  static override readonly name = 'ReconcilerStateError'
  override readonly name = 'ReconcilerStateError'
}

export interface Item { ts: number, id: Uint8Array }

function compareIds (a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < ID_BYTES; i++) {
    if (a[i] !== b[i]) return (a[i] as number) < (b[i] as number) ? -1 : 1
  }
  return 0
}

/** Latin-1 string of some bytes: a cheap Map/Set key. */
export function keyOf (b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1')
}

/**
 * Items sorted by (ts, id bytes). Insert/delete are a binary search plus a
 * splice; range fingerprints come from prefix sums rebuilt lazily after a change.
 */
export class SortedItems {
  #ts: number[] = []
  #ids: Uint8Array[] = []
  #sums: Uint32Array | null = null

  static from (items: Iterable<Item>): SortedItems {
    const s = new SortedItems()
    const all: Item[] = []
    for (const it of items) { checkItem(it.ts, it.id); all.push({ ts: it.ts, id: it.id.slice() }) }
    all.sort((a, b) => a.ts !== b.ts ? a.ts - b.ts : compareIds(a.id, b.id))
    for (const it of all) {
      const n = s.#ts.length
      if (n > 0 && s.#ts[n - 1] === it.ts && compareIds(s.#ids[n - 1] as Uint8Array, it.id) === 0) continue
      s.#ts.push(it.ts)
      s.#ids.push(it.id)
    }
    return s
  }

  get size (): number { return this.#ts.length }
  ts (i: number): number { return this.#ts[i] as number }
  id (i: number): Uint8Array { return this.#ids[i] as Uint8Array }

  /** First index whose item is ≥ (ts, id). */
  lowerBound (ts: number, id: Uint8Array): number {
    let lo = 0
    let hi = this.#ts.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const t = this.#ts[mid] as number
      if (t < ts || (t === ts && compareIds(this.#ids[mid] as Uint8Array, id) < 0)) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  has (ts: number, id: Uint8Array): boolean {
    const i = this.lowerBound(ts, id)
    return i < this.size && this.#ts[i] === ts && compareIds(this.#ids[i] as Uint8Array, id) === 0
  }

  /** Adds an item; false if it was there already. The id is copied. */
  insert (ts: number, id: Uint8Array): boolean {
    checkItem(ts, id)
    if (this.has(ts, id)) return false
    const i = this.lowerBound(ts, id)
    this.#ts.splice(i, 0, ts)
    this.#ids.splice(i, 0, id.slice())
    this.#sums = null
    return true
  }

  delete (ts: number, id: Uint8Array): boolean {
    if (!this.has(ts, id)) return false
    const i = this.lowerBound(ts, id)
    this.#ts.splice(i, 1)
    this.#ids.splice(i, 1)
    this.#sums = null
    return true
  }

  /**
   * A copy that later inserts/deletes on this set do not change. Ids and the
   * prefix sums are shared: neither is ever written after it is built.
   */
  snapshot (): SortedItems {
    const s = new SortedItems()
    s.#ts = this.#ts.slice()
    s.#ids = this.#ids.slice()
    s.#sums = this.#prefixSums()
    return s
  }

  /** First index ≥ from whose item is not below the bound. */
  boundIndex (b: Bound, from = 0): number {
    let lo = from
    let hi = this.#ts.length
    if (b.ts === Infinity) return hi
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.#belowBound(mid, b)) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  #belowBound (i: number, b: Bound): boolean {
    const t = this.#ts[i] as number
    if (t !== b.ts) return t < b.ts
    const id = this.#ids[i] as Uint8Array
    for (let j = 0; j < b.prefix.length; j++) {
      if (id[j] !== b.prefix[j]) return (id[j] as number) < (b.prefix[j] as number)
    }
    return false
  }

  /** The shortest bound above item i - 1 and at or below item i (0 < i < size). */
  minimalBound (i: number): Bound {
    const prevTs = this.#ts[i - 1] as number
    const ts = this.#ts[i] as number
    if (prevTs !== ts) return { ts, prefix: new Uint8Array(0) }
    const a = this.#ids[i - 1] as Uint8Array
    const b = this.#ids[i] as Uint8Array
    let common = 0
    while (common < ID_BYTES && a[common] === b[common]) common++
    return { ts, prefix: b.subarray(0, common + 1) }
  }

  /** First 16 bytes of SHA-256(sum of ids in [lo, hi) as 256-bit little-endian mod 2^256 ‖ varint(count)). */
  fingerprint (lo: number, hi: number): Uint8Array {
    if (!(lo >= 0 && lo <= hi && hi <= this.size)) throw new RangeError(`bad range [${lo}, ${hi})`)
    const s = this.#prefixSums()
    const sum = new Uint8Array(ID_BYTES)
    const view = new DataView(sum.buffer)
    let borrow = 0
    for (let j = 0; j < 8; j++) {
      let v = (s[hi * 8 + j] as number) - (s[lo * 8 + j] as number) - borrow
      borrow = v < 0 ? 1 : 0
      if (v < 0) v += 0x100000000
      view.setUint32(j * 4, v, true)
    }
    const h = createHash('sha256').update(sum).update(encodeVarint(hi - lo)).digest()
    return new Uint8Array(h.buffer, h.byteOffset, FINGERPRINT_BYTES)
  }

  #prefixSums (): Uint32Array {
    if (this.#sums !== null) return this.#sums
    const n = this.#ids.length
    const s = new Uint32Array((n + 1) * 8)
    for (let i = 0; i < n; i++) {
      const id = this.#ids[i] as Uint8Array
      let carry = 0
      for (let j = 0; j < 8; j++) {
        const k = j * 4
        const limb = ((id[k] as number) | (id[k + 1] as number) << 8 | (id[k + 2] as number) << 16 | (id[k + 3] as number) << 24) >>> 0
        const v = (s[i * 8 + j] as number) + limb + carry
        s[(i + 1) * 8 + j] = v >>> 0
        carry = v > 0xffffffff ? 1 : 0
      }
    }
    this.#sums = s
    return s
  }
}

function checkItem (ts: number, id: Uint8Array): void {
  if (!Number.isInteger(ts) || ts < 0 || ts > MAX_TIMESTAMP) throw new InvalidItemError(`timestamp must be an integer in [0, 2^48), got ${ts}`)
  if (!(id instanceof Uint8Array) || id.length !== ID_BYTES) throw new InvalidItemError(`id must be ${ID_BYTES} bytes`)
}

export interface ReconcilerInit {
  /** Largest frame this side writes, bytes. @default 60_000 */
  frameSizeLimit?: number
  /** Largest frame this side accepts, bytes. @default 65_536 */
  maxFrameBytes?: number
  /** Frames this side processes before RoundLimitError. @default 64 */
  maxRounds?: number
  /** Fingerprint bytes on the wire: 16 (version 0x46) or 8, salted (version 0x47). Both sides must agree. @default 16 */
  fingerprintBytes?: number
  /** Sender-side tuning; the peer needs no agreement on these. @default 3 */
  buckets?: number
  /** @default 16 */
  largeBuckets?: number
  /** @default 2048 */
  largeRange?: number
  /** @default 24 */
  prefixListThreshold?: number
  /** @default 2 */
  idListThreshold?: number
  /** Salt source (tests pass a fixed one). @default node:crypto randomBytes */
  randomBytes?: (n: number) => Uint8Array
}

export interface ReconcileResult {
  /** The frame to send, or null: the initiator is done. */
  reply: Uint8Array | null
  /** Initiator: ids it holds that the peer lacks (to offer). Always empty on the responder. */
  have: Uint8Array[]
  /** Initiator: ids the peer holds that it lacks (to fetch). Always empty on the responder. */
  need: Uint8Array[]
}

/** Counters of what this side wrote, for metrics and the benchmark's byte breakdown. */
export interface ReconcilerStats {
  framesOut: number
  bytesOut: number
  fingerprints: number
  prefixes: number
  ids: number
}

const FROM_INITIATOR = [Mode.Skip, Mode.Fingerprint, Mode.PrefixList] as const
const FROM_RESPONDER = [Mode.Skip, Mode.Fingerprint, Mode.IdList, Mode.IdListReply] as const

interface Stop { index: number, bound: Bound }

/**
 * One side of one sync session, over a snapshot of the items taken at
 * construction. The initiator calls initiate() once, then reconcile() on each
 * reply until its reply is null; the responder calls reconcile() on each frame.
 */
export class Reconciler {
  readonly #items: SortedItems
  readonly #limit: number
  readonly #maxFrameBytes: number
  readonly #maxRounds: number
  readonly #fpBytes: number
  readonly #version: number
  readonly #buckets: number
  readonly #largeBuckets: number
  readonly #largeRange: number
  readonly #prefixListThreshold: number
  readonly #idListThreshold: number
  readonly #random: (n: number) => Uint8Array
  #role: 'none' | 'initiator' | 'responder' = 'none'
  #salt: Uint8Array | null = null
  #rounds = 0
  readonly #reported = new Set<string>()
  readonly #stats: ReconcilerStats = { framesOut: 0, bytesOut: 0, fingerprints: 0, prefixes: 0, ids: 0 }

  constructor (items: SortedItems, init: ReconcilerInit = {}) {
    this.#items = items.snapshot()
    this.#limit = init.frameSizeLimit ?? DEFAULT_FRAME_SIZE_LIMIT
    this.#maxFrameBytes = init.maxFrameBytes ?? MAX_FRAME_BYTES
    this.#maxRounds = init.maxRounds ?? MAX_ROUNDS
    this.#fpBytes = init.fingerprintBytes ?? FINGERPRINT_BYTES
    this.#version = versionFor(this.#fpBytes)
    this.#buckets = init.buckets ?? BUCKETS
    this.#largeBuckets = init.largeBuckets ?? LARGE_BUCKETS
    this.#largeRange = init.largeRange ?? LARGE_RANGE
    this.#prefixListThreshold = init.prefixListThreshold ?? PREFIX_LIST_THRESHOLD
    this.#idListThreshold = init.idListThreshold ?? ID_LIST_THRESHOLD
    this.#random = init.randomBytes ?? ((n) => new Uint8Array(randomBytes(n)))
    if (!(this.#limit >= MIN_FRAME_SIZE_LIMIT && this.#limit <= this.#maxFrameBytes)) {
      throw new RangeError(`frameSizeLimit must be in [${MIN_FRAME_SIZE_LIMIT}, ${this.#maxFrameBytes}]`)
    }
    for (const b of [this.#buckets, this.#largeBuckets]) {
      if (!(Number.isInteger(b) && b >= 2 && b <= 64)) throw new RangeError('bucket counts must be integers in [2, 64]')
    }
    if (!(this.#prefixListThreshold >= 0 && this.#prefixListThreshold * PREFIX_BYTES <= MIN_FRAME_SIZE_LIMIT / 2)) {
      throw new RangeError('prefixListThreshold out of range')
    }
    if (!(this.#idListThreshold >= 0 && this.#idListThreshold * ID_BYTES <= MIN_FRAME_SIZE_LIMIT / 2)) {
      throw new RangeError('idListThreshold out of range')
    }
  }

  /** Frames processed so far by reconcile(). */
  get rounds (): number { return this.#rounds }

  get stats (): ReconcilerStats { return { ...this.#stats } }

  initiate (): Uint8Array {
    if (this.#role !== 'none') throw new ReconcilerStateError('initiate() must be the first call, and only once')
    this.#role = 'initiator'
    this.#salt = this.#random(SALT_BYTES).slice(0, SALT_BYTES)
    const w = new FrameWriter()
    w.byte(this.#version)
    w.bytes(this.#salt)
    this.#differs(w, 0, this.#items.size, ZERO_BOUND, INFINITY_BOUND)
    return this.#sent(w.finish())
  }

  /** Processes one frame from the peer; throws MalformedFrameError on bad input and RoundLimitError past maxRounds. */
  reconcile (msg: Uint8Array): ReconcileResult {
    if (this.#role === 'none') this.#role = 'responder'
    if (++this.#rounds > this.#maxRounds) throw new RoundLimitError(`more than ${this.#maxRounds} rounds`)
    const initiator = this.#role === 'initiator'
    const frame = parseFrame(msg, {
      withSalt: !initiator && this.#salt === null,
      allowed: initiator ? FROM_RESPONDER : FROM_INITIATOR,
      maxFrameBytes: this.#maxFrameBytes,
      fingerprintBytes: this.#fpBytes
    })
    if (frame.salt !== null) this.#salt = frame.salt.slice()
    const have: Uint8Array[] = []
    const need: Uint8Array[] = []
    const w = new FrameWriter()
    w.byte(this.#version)
    let prevBound = ZERO_BOUND
    let prevIndex = 0
    for (const range of frame.ranges) {
      const lo = prevIndex
      const hi = this.#items.boundIndex(range.upper, lo)
      const mark = w.mark()
      const counted = { ...this.#stats }
      let stop: Stop | null = null
      if (range.mode === Mode.Fingerprint) {
        if (!sameBytes(this.#wireFingerprint(lo, hi), range.fingerprint as Uint8Array)) {
          stop = this.#differs(w, lo, hi, prevBound, range.upper)
        }
      } else if (range.mode === Mode.IdList) {
        this.#applyIdList(lo, hi, range, have, need)
      } else if (range.mode === Mode.IdListReply) {
        this.#applyReply(lo, hi, range, have, need)
      } else if (range.mode === Mode.PrefixList) {
        stop = this.#answerPrefixList(w, lo, hi, prevBound, range)
      }
      if (stop === null && w.length > this.#limit - CONTINUATION_RESERVE) {
        w.rollback(mark)
        Object.assign(this.#stats, counted)
        stop = { index: lo, bound: prevBound }
      }
      if (stop !== null) {
        // Frame full: one Fingerprint over everything from here on; the next round continues there.
        w.range(stop.bound, INFINITY_BOUND, Mode.Fingerprint)
        w.bytes(this.#wireFingerprint(stop.index, this.#items.size))
        break
      }
      prevBound = range.upper
      prevIndex = hi
    }
    if (initiator && w.length === 1) return { reply: null, have, need }
    return { reply: this.#sent(w.finish()), have, need }
  }

  #sent (frame: Uint8Array): Uint8Array {
    this.#stats.framesOut++
    this.#stats.bytesOut += frame.length
    return frame
  }

  /** The fingerprint of [lo, hi) as sent: the 16-byte one, or 8 bytes of SHA-256(salt ‖ it) in the 0x47 variant. */
  #wireFingerprint (lo: number, hi: number): Uint8Array {
    const fp = this.#items.fingerprint(lo, hi)
    if (this.#fpBytes === FINGERPRINT_BYTES) return fp
    const h = createHash('sha256').update(this.#salt as Uint8Array).update(fp).digest()
    return new Uint8Array(h.buffer, h.byteOffset, this.#fpBytes)
  }

  /** Own range [lo, hi) differs from the peer's: list it or split it. Returns a stop point if the frame filled up. */
  #differs (w: FrameWriter, lo: number, hi: number, lower: Bound, upper: Bound): Stop | null {
    const count = hi - lo
    // A range of fewer than 2 items cannot be split, so it is always listed: every split makes progress.
    if (this.#role === 'initiator') {
      if (count <= this.#prefixListThreshold || count < 2) {
        w.range(lower, upper, Mode.PrefixList)
        w.varint(count)
        for (let i = lo; i < hi; i++) w.bytes(this.#prefix(this.#items.id(i)))
        this.#stats.prefixes += count
        return null
      }
    } else if (count <= this.#idListThreshold || count < 2) {
      return this.#idLists(w, lo, hi, lower, upper)
    }
    const buckets = Math.min(count > this.#largeRange ? this.#largeBuckets : this.#buckets, count)
    const per = Math.floor(count / buckets)
    const extra = count % buckets
    let cur = lo
    let bound = lower
    for (let b = 0; b < buckets; b++) {
      const next = cur + per + (b < extra ? 1 : 0)
      const end = next === hi ? upper : this.#items.minimalBound(next)
      w.range(bound, end, Mode.Fingerprint)
      w.bytes(this.#wireFingerprint(cur, next))
      cur = next
      bound = end
    }
    this.#stats.fingerprints += buckets
    return null
  }

  /** Responder: all own ids of [lo, hi) as IdList ranges, cut into chunks that fit the frame. */
  #idLists (w: FrameWriter, lo: number, hi: number, lower: Bound, upper: Bound): Stop | null {
    let cur = lo
    let bound = lower
    do {
      const room = this.#limit - CONTINUATION_RESERVE - w.length - 2 * MAX_BOUND_BYTES - 8
      const take = Math.min(hi - cur, Math.floor(room / ID_BYTES))
      if (take <= 0 && hi > cur) return { index: cur, bound }
      const next = cur + Math.max(take, 0)
      const end = next === hi ? upper : this.#items.minimalBound(next)
      w.range(bound, end, Mode.IdList)
      w.varint(next - cur)
      for (let i = cur; i < next; i++) w.bytes(this.#items.id(i))
      this.#stats.ids += next - cur
      cur = next
      bound = end
    } while (cur < hi)
    return null
  }

  /** Responder: answer a PrefixList with the ids the initiator lacks and a bitmap of its entries we lack. */
  #answerPrefixList (w: FrameWriter, lo: number, hi: number, lower: Bound, range: ParsedRange): Stop | null {
    const count = range.count as number
    const entries = range.entries as Uint8Array
    const room = this.#limit - CONTINUATION_RESERVE - w.length - 2 * 9 - Math.ceil(count / 8) - 2 * MAX_BOUND_BYTES - 2
    // At least (ours - theirs) ids go back; if even that cannot fit, skip the hashing and send full lists.
    if ((hi - lo - count) * ID_BYTES > room) return this.#idLists(w, lo, hi, lower, range.upper)
    const theirs = new Set<string>()
    for (let i = 0; i < count; i++) theirs.add(keyOf(entries.subarray(i * PREFIX_BYTES, (i + 1) * PREFIX_BYTES)))
    const mine = new Set<string>()
    const missing: number[] = []
    for (let i = lo; i < hi; i++) {
      const k = keyOf(this.#prefix(this.#items.id(i)))
      mine.add(k)
      if (!theirs.has(k)) missing.push(i)
    }
    if (missing.length * ID_BYTES > room) return this.#idLists(w, lo, hi, lower, range.upper)
    const bitmap = new Uint8Array(Math.ceil(count / 8))
    for (let i = 0; i < count; i++) {
      if (!mine.has(keyOf(entries.subarray(i * PREFIX_BYTES, (i + 1) * PREFIX_BYTES)))) bitmap[i >> 3] = (bitmap[i >> 3] as number) | 1 << (i & 7)
    }
    w.range(lower, range.upper, Mode.IdListReply)
    w.varint(missing.length)
    for (const i of missing) w.bytes(this.#items.id(i))
    w.varint(count)
    w.bytes(bitmap)
    this.#stats.ids += missing.length
    return null
  }

  /** Initiator: the responder's full list of [lo, hi). */
  #applyIdList (lo: number, hi: number, range: ParsedRange, have: Uint8Array[], need: Uint8Array[]): void {
    const theirs = new Map<string, Uint8Array>()
    const entries = range.entries as Uint8Array
    for (let i = 0; i < (range.count as number); i++) {
      const id = entries.subarray(i * ID_BYTES, (i + 1) * ID_BYTES)
      theirs.set(keyOf(id), id)
    }
    for (let i = lo; i < hi; i++) {
      const id = this.#items.id(i)
      if (!theirs.delete(keyOf(id))) this.#report(have, id, 'h')
    }
    for (const id of theirs.values()) this.#report(need, id, 'n')
  }

  /** Initiator: the responder's answer to our PrefixList of [lo, hi). */
  #applyReply (lo: number, hi: number, range: ParsedRange, have: Uint8Array[], need: Uint8Array[]): void {
    if (range.bits !== hi - lo || hi - lo > Math.max(this.#prefixListThreshold, 1)) {
      throw new MalformedFrameError(`IdListReply for ${range.bits ?? 0} entries, but we listed ${hi - lo}`)
    }
    const bitmap = range.bitmap as Uint8Array
    const mine = new Set<string>()
    for (let i = lo; i < hi; i++) {
      const id = this.#items.id(i)
      mine.add(keyOf(id))
      const bit = i - lo
      if (((bitmap[bit >> 3] as number) >> (bit & 7) & 1) === 1) this.#report(have, id, 'h')
    }
    const entries = range.entries as Uint8Array
    for (let i = 0; i < (range.count as number); i++) {
      const id = entries.subarray(i * ID_BYTES, (i + 1) * ID_BYTES)
      if (!mine.has(keyOf(id))) this.#report(need, id, 'n')
    }
  }

  /** Adds an id to have/need once per session (a peer repeating itself cannot inflate the lists). */
  #report (list: Uint8Array[], id: Uint8Array, tag: string): void {
    const k = tag + keyOf(id)
    if (this.#reported.has(k)) return
    this.#reported.add(k)
    list.push(id.slice())
  }

  /** The first PREFIX_BYTES of SHA-256(salt ‖ id): short, and unpredictable before the session starts. */
  #prefix (id: Uint8Array): Uint8Array {
    const h = createHash('sha256').update(this.#salt as Uint8Array).update(id).digest()
    return new Uint8Array(h.buffer, h.byteOffset, PREFIX_BYTES)
  }
}

function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

export interface LocalSyncResult {
  have: Uint8Array[]
  need: Uint8Array[]
  /** Round trips: initiator frame + responder reply. */
  rounds: number
  bytesToResponder: number
  bytesToInitiator: number
  /** Size of every frame in order, initiator's first. */
  frames: number[]
  initiator: ReconcilerStats
  responder: ReconcilerStats
}

/** Runs a whole session between two in-memory sets (tests, benchmarks, and a reference for the stream wiring). */
export function reconcileLocal (initiator: SortedItems, responder: SortedItems, init: ReconcilerInit = {}): LocalSyncResult {
  const a = new Reconciler(initiator, init)
  const b = new Reconciler(responder, init)
  const have: Uint8Array[] = []
  const need: Uint8Array[] = []
  const frames: number[] = []
  let bytesToResponder = 0
  let bytesToInitiator = 0
  let rounds = 0
  let msg: Uint8Array | null = a.initiate()
  while (msg !== null) {
    bytesToResponder += msg.length
    frames.push(msg.length)
    const reply = b.reconcile(msg).reply as Uint8Array
    bytesToInitiator += reply.length
    frames.push(reply.length)
    rounds++
    const r = a.reconcile(reply)
    have.push(...r.have)
    need.push(...r.need)
    msg = r.reply
  }
  return { have, need, rounds, bytesToResponder, bytesToInitiator, frames, initiator: a.stats, responder: b.stats }
}
