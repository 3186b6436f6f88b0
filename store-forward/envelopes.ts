/**
 * Every envelope this node holds, with its metadata mirrored in memory:
 * custody (mail held for others) within a byte quota and per-author and
 * per-recipient limits, own envelopes (authored here: outbox entries and
 * ACKs), and tombstones of delivered mail. Eviction order: expired first,
 * then lowest priority, then oldest arrival.
 */
import { PRIORITY_RANK, toHex, type ValidEnvelope, Kind } from '../mesh/envelope.js'
import { put, del, type Stores, type EnvMeta, type Tombstone, type BatchOp } from './db.js'

export interface CustodyLimits {
  custodyBytes: number
  custodyPerAuthorBytes: number
  custodyPerRecipientBytes: number
}

export type HoldResult = 'held' | 'duplicate' | 'tombstoned' | 'refused'

/** ACK authors remembered per tombstone when the original is not held here. */
const TOMB_MAX_AUTHORS = 8

/** Ids in arrival order, grouped by key (author, recipient or rank), with byte totals. */
class Buckets {
  readonly ids = new Map<string, Map<string, number>>()
  readonly bytes = new Map<string, number>()
  add (key: string, id: string, size: number): void {
    let m = this.ids.get(key)
    if (m === undefined) { m = new Map(); this.ids.set(key, m) }
    m.set(id, size)
    this.bytes.set(key, (this.bytes.get(key) ?? 0) + size)
  }

  remove (key: string, id: string): void {
    const m = this.ids.get(key)
    const size = m?.get(id)
    if (m === undefined || size === undefined) return
    m.delete(id)
    const left = (this.bytes.get(key) ?? 0) - size
    if (m.size === 0) { this.ids.delete(key); this.bytes.delete(key) } else this.bytes.set(key, left)
  }

  oldest (key: string): string | undefined {
    return this.ids.get(key)?.keys().next().value
  }

  total (key: string): number { return this.bytes.get(key) ?? 0 }
}

export interface StoreStats {
  count: number
  bytes: number
  custody: { count: number, bytes: number }
  tombstones: number
  evicted: number
}

export class EnvelopeStore {
  private readonly meta = new Map<string, EnvMeta>()
  private readonly tombs = new Map<string, Tombstone>()
  private readonly byAuthor = new Buckets()
  private readonly byRecipient = new Buckets()
  private readonly byRank = new Buckets()
  private custodyBytes = 0
  private custodyCount = 0
  private totalBytes = 0
  private evicted = 0
  private changes = 0

  private constructor (readonly stores: Stores, private limits: CustodyLimits, private readonly now: () => number) {}

  static async open (stores: Stores, limits: CustodyLimits, now: () => number = Date.now): Promise<EnvelopeStore> {
    const s = new EnvelopeStore(stores, limits, now)
    const rows: Array<[string, EnvMeta]> = []
    for await (const [id, m] of stores.meta.iterator()) rows.push([id, m])
    rows.sort((a, b) => a[1].at - b[1].at)
    for (const [id, m] of rows) s.index(id, m)
    for await (const [id, t] of stores.tombstones.iterator()) s.tombs.set(id, t)
    await s.sweep()
    return s
  }

  setLimits (limits: CustodyLimits): void { this.limits = limits }

  /** Grows on every change to the set of held envelopes: a cache of it (sync's sorted items) is fresh while this is unchanged. */
  get version (): number { return this.changes }

  private index (id: string, m: EnvMeta): void {
    this.changes++
    this.meta.set(id, m)
    this.totalBytes += m.size
    if (m.role !== 'custody') return
    this.custodyBytes += m.size
    this.custodyCount++
    this.byAuthor.add(m.from, id, m.size)
    this.byRecipient.add(m.to, id, m.size)
    this.byRank.add(String(m.rank), id, m.size)
  }

  private unindex (id: string): EnvMeta | undefined {
    const m = this.meta.get(id)
    if (m === undefined) return undefined
    this.changes++
    this.meta.delete(id)
    this.totalBytes -= m.size
    if (m.role === 'custody') {
      this.custodyBytes -= m.size
      this.custodyCount--
      this.byAuthor.remove(m.from, id)
      this.byRecipient.remove(m.to, id)
      this.byRank.remove(String(m.rank), id)
    }
    return m
  }

  has (id: string): boolean { return this.meta.has(id) }
  getMeta (id: string): EnvMeta | undefined { return this.meta.get(id) }
  async get (id: string): Promise<Uint8Array | undefined> { return this.stores.envelopes.get(id) }
  async getMany (ids: string[]): Promise<Array<Uint8Array | undefined>> { return this.stores.envelopes.getMany(ids) }

  /**
   * With `to`: true when an ACK by `to` (the recipient) covers this id. Without:
   * true only when the ACK's author is known to be the recipient, so a forged
   * ACK that arrives before the original cannot hide it from its recipient.
   */
  isTombstoned (id: string, to?: string): boolean {
    const t = this.tombs.get(id)
    if (t === undefined || t.expires <= this.now()) return false
    if (to === undefined) return t.verified !== false
    return t.ackFrom === to || (t.also?.includes(to) ?? false)
  }

  /** Ids of held envelopes addressed to `to` (hex), of the given kinds (all when absent). */
  idsTo (to: string, kinds?: Kind[]): string[] {
    const out: string[] = []
    for (const [id, m] of this.meta) if (m.to === to && (kinds === undefined || kinds.includes(m.kind as Kind))) out.push(id)
    return out
  }

  /** All held envelopes as (created, id) pairs, for sync. */
  * items (): Generator<{ ts: number, id: string, meta: EnvMeta }> {
    for (const [id, meta] of this.meta) yield { ts: meta.created, id, meta }
  }

  metaOf (env: ValidEnvelope, bytes: Uint8Array, role: EnvMeta['role'], hops: number): EnvMeta {
    const b = env.body
    return {
      created: b.created,
      expires: b.expires,
      rank: PRIORITY_RANK[b.priority] ?? 1,
      size: bytes.length,
      kind: b.kind,
      from: toHex(b.from),
      to: toHex(b.to),
      ref: b.ref.length > 0 ? toHex(b.ref) : undefined,
      hops,
      role,
      at: this.now()
    }
  }

  /**
   * Store an envelope (bytes as they should be re-sent, hops included).
   * Custody makes room by eviction; `extra` operations join the same batch.
   */
  async hold (env: ValidEnvelope, bytes: Uint8Array, role: EnvMeta['role'], hops: number, extra: BatchOp[] = []): Promise<HoldResult> {
    const id = toHex(env.id)
    if (this.meta.has(id)) return 'duplicate'
    const m = this.metaOf(env, bytes, role, hops)
    if (this.isTombstoned(id, m.to)) return 'tombstoned'
    const ops: BatchOp[] = [...extra]
    if (role === 'custody') {
      if (m.size > this.limits.custodyPerAuthorBytes || m.size > this.limits.custodyPerRecipientBytes || m.size > this.limits.custodyBytes) return 'refused'
      ops.push(...this.makeRoom(m))
    }
    ops.push(put(this.stores.envelopes, id, bytes), put(this.stores.meta, id, m))
    // Indexed before the write, so a concurrent hold sees it (no double count, no quota overshoot).
    this.index(id, m)
    try {
      await this.stores.db.batch(ops)
    } catch (err) {
      this.unindex(id)
      throw err
    }
    return 'held'
  }

  /** Evict until m fits: the same author's oldest, the same recipient's oldest, then globally expired, lowest rank, oldest. */
  private makeRoom (m: EnvMeta): BatchOp[] {
    const ops: BatchOp[] = []
    const evict = (id: string | undefined): boolean => {
      if (id === undefined) return false
      this.unindex(id)
      ops.push(del(this.stores.envelopes, id), del(this.stores.meta, id))
      this.evicted++
      return true
    }
    while (this.byAuthor.total(m.from) + m.size > this.limits.custodyPerAuthorBytes && evict(this.byAuthor.oldest(m.from)));
    while (this.byRecipient.total(m.to) + m.size > this.limits.custodyPerRecipientBytes && evict(this.byRecipient.oldest(m.to)));
    if (this.custodyBytes + m.size > this.limits.custodyBytes) {
      const now = this.now()
      for (const [id, x] of this.meta) {
        if (this.custodyBytes + m.size <= this.limits.custodyBytes) break
        if (x.role === 'custody' && x.expires <= now) evict(id)
      }
    }
    for (const rank of ['2', '1', '0']) {
      while (this.custodyBytes + m.size > this.limits.custodyBytes && evict(this.byRank.oldest(rank)));
    }
    return ops
  }

  /** Remove an envelope, optionally leaving a tombstone; `extra` joins the batch. */
  async remove (id: string, tomb?: Tombstone, extra: BatchOp[] = []): Promise<EnvMeta | undefined> {
    const ops: BatchOp[] = [...extra]
    const m = this.meta.get(id)
    if (m !== undefined) ops.push(del(this.stores.envelopes, id), del(this.stores.meta, id))
    if (tomb !== undefined) ops.push(put(this.stores.tombstones, id, tomb))
    if (ops.length > 0) await this.stores.db.batch(ops)
    if (tomb !== undefined) this.tombs.set(id, tomb)
    return this.unindex(id)
  }

  /**
   * Apply an ACK: when its author is the recipient of the referenced
   * envelope, drop that envelope and keep a tombstone until the original
   * would have expired. Returns the dropped envelope's metadata.
   */
  async applyAck (ack: ValidEnvelope): Promise<EnvMeta | undefined> {
    if (ack.body.kind !== Kind.ACK) return undefined
    const ref = toHex(ack.body.ref)
    const ackFrom = toHex(ack.body.from)
    const held = this.meta.get(ref)
    if (held !== undefined && held.to !== ackFrom) return undefined
    const existing = this.tombs.get(ref)
    let tomb: Tombstone = { expires: held?.expires ?? ack.body.expires, ackFrom }
    if (held === undefined) {
      // Without the original we cannot tell which ACK author is its recipient: remember a few.
      if (existing === undefined) tomb.verified = false
      else if (existing.verified !== false || existing.ackFrom === ackFrom || existing.also?.includes(ackFrom) === true || (existing.also?.length ?? 0) >= TOMB_MAX_AUTHORS) return undefined
      else tomb = { ...existing, expires: Math.max(existing.expires, ack.body.expires), also: [...(existing.also ?? []), ackFrom] }
    }
    return this.remove(ref, tomb)
  }

  /** Drop expired envelopes and tombstones. */
  async sweep (): Promise<number> {
    const now = this.now()
    const ops: BatchOp[] = []
    const gone: string[] = []
    for (const [id, m] of this.meta) {
      if (m.expires <= now) { ops.push(del(this.stores.envelopes, id), del(this.stores.meta, id)); gone.push(id) }
    }
    for (const [id, t] of this.tombs) {
      if (t.expires <= now) { ops.push(del(this.stores.tombstones, id)); this.tombs.delete(id) }
    }
    if (ops.length > 0) await this.stores.db.batch(ops)
    for (const id of gone) this.unindex(id)
    return gone.length
  }

  stats (): StoreStats {
    return {
      count: this.meta.size,
      bytes: this.totalBytes,
      custody: { count: this.custodyCount, bytes: this.custodyBytes },
      tombstones: this.tombs.size,
      evicted: this.evicted
    }
  }
}
