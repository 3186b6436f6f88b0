/**
 * The outbox: this node's own undelivered envelopes, persistent, ordered by
 * priority (CRITICAL, NORMAL, LOW) then age. Retries back off exponentially
 * with jitter (clock and randomness injectable) and restart at once when a
 * peer appears; stale LOW entries are dropped, not sent late; an entry
 * leaves on its ACK.
 */
import { put, del, type Stores, type OutboxState, type BatchOp } from './db.js'
import { BACKOFF_BASE_MS, BACKOFF_MAX_MS, BACKOFF_JITTER, LOW_STALE_MS } from './constants.js'

export interface OutboxInit {
  now?: () => number
  /** Uniform in [0, 1). @default Math.random */
  random?: () => number
  /** @default BACKOFF_BASE_MS */
  baseMs?: number
  /** @default BACKOFF_MAX_MS */
  maxMs?: number
  /** @default LOW_STALE_MS */
  lowStaleMs?: number
}

export function compareEntries (a: OutboxState, b: OutboxState): number {
  return a.rank - b.rank || a.created - b.created || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

export class Outbox {
  private readonly entries = new Map<string, OutboxState>()
  private readonly now: () => number
  private readonly random: () => number
  private readonly baseMs: number
  private readonly maxMs: number
  private readonly lowStaleMs: number

  private constructor (private readonly stores: Stores, init: OutboxInit) {
    this.now = init.now ?? Date.now
    this.random = init.random ?? Math.random
    this.baseMs = init.baseMs ?? BACKOFF_BASE_MS
    this.maxMs = init.maxMs ?? BACKOFF_MAX_MS
    this.lowStaleMs = init.lowStaleMs ?? LOW_STALE_MS
  }

  static async open (stores: Stores, init: OutboxInit = {}): Promise<Outbox> {
    const o = new Outbox(stores, init)
    for await (const [id, s] of stores.outbox.iterator()) o.entries.set(id, s)
    return o
  }

  get size (): number { return this.entries.size }
  has (id: string): boolean { return this.entries.has(id) }
  get (id: string): OutboxState | undefined { return this.entries.get(id) }

  /** Entries in send order. */
  list (): OutboxState[] { return [...this.entries.values()].sort(compareEntries) }

  /** The batch operation that adds an entry; call commitAdd after the batch is written. */
  addOp (id: string, rank: number, created: number): { op: BatchOp, state: OutboxState } {
    const state: OutboxState = { id, rank, created, attempts: 0, nextAt: this.now(), sentAt: 0 }
    return { op: put(this.stores.outbox, id, state), state }
  }

  commitAdd (state: OutboxState): void { this.entries.set(state.id, state) }

  async remove (id: string): Promise<boolean> {
    if (!this.entries.has(id)) return false
    await this.stores.outbox.del(id)
    return this.entries.delete(id)
  }

  /** Delay before attempt n+1 (n ≥ 1 attempts made): base·2^(n-1), capped, scaled into [1-JITTER, 1]. */
  backoff (attempts: number): number {
    const raw = Math.min(this.maxMs, this.baseMs * 2 ** Math.max(0, attempts - 1))
    return Math.round(raw * (1 - BACKOFF_JITTER * this.random()))
  }

  /** True for a LOW entry past the stale limit: it must not leave this node any more (on any path). */
  isStale (id: string): boolean {
    const e = this.entries.get(id)
    return e !== undefined && e.rank === 2 && this.now() - e.created > this.lowStaleMs
  }

  /** Stale LOW entries (dropped, not sent late). */
  stale (): OutboxState[] {
    const now = this.now()
    return this.list().filter(e => e.rank === 2 && now - e.created > this.lowStaleMs)
  }

  /** Entries due now, in send order (stale LOW ones excluded). */
  due (): OutboxState[] {
    const now = this.now()
    return this.list().filter(e => e.nextAt <= now && !(e.rank === 2 && now - e.created > this.lowStaleMs))
  }

  /** Record an attempt; `sent` when at least one peer took it; the next one after the backoff, or after `delayMs` when given. */
  async attempted (id: string, sent: boolean, delayMs?: number): Promise<void> {
    const e = this.entries.get(id)
    if (e === undefined) return
    e.attempts++
    e.nextAt = this.now() + (delayMs ?? this.backoff(e.attempts))
    if (sent) e.sentAt = this.now()
    await this.stores.outbox.put(id, e)
  }

  /** A useful peer appeared: everything is due again at once. */
  async wake (): Promise<void> {
    const now = this.now()
    const ops: BatchOp[] = []
    for (const e of this.entries.values()) {
      if (e.nextAt > now) { e.nextAt = now; ops.push(put(this.stores.outbox, e.id, e)) }
    }
    if (ops.length > 0) await this.stores.db.batch(ops)
  }

  /** Earliest nextAt, for the send timer. */
  nextDue (): number | undefined {
    let min: number | undefined
    for (const e of this.entries.values()) if (min === undefined || e.nextAt < min) min = e.nextAt
    return min
  }
}
