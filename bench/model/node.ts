/**
 * One node of the protocol model: the real EnvelopeStore (custody quota,
 * per-author/per-recipient limits, eviction, ACK tombstones) and the real
 * Outbox (priority order, backoff with jitter, wake) over in-memory stores,
 * plus the mailroom's decisions as node.ts and mailroom.ts make them — without
 * sockets, signatures or encryption. Envelopes are stand-ins of the real
 * sizes (a sealed one-line DM is 462 bytes, an ACK 190).
 */
import crypto from 'node:crypto'
import { EnvelopeStore, type CustodyLimits } from '../../store-forward/envelopes.js'
import { Outbox } from '../../store-forward/outbox.js'
import { Kind, Priority, toHex, type ValidEnvelope } from '../../mesh/envelope.js'
import { memoryStores } from './stores.js'

/** Encoded sizes measured on the real codec (bench/model/README in docs/PERFORMANCE.md). */
export const DM_BYTES = 462
export const ACK_BYTES = 190

export interface Msg {
  hex: string
  kind: 'dm' | 'ack'
  /** The workload index of the DM (an ACK: of the DM it acknowledges). */
  idx: number
  /** Author and addressee (node indices). */
  from: number
  to: number
  v: ValidEnvelope
  bytes: Uint8Array
}

const sizes = new Map<number, Uint8Array>()
function blob (n: number): Uint8Array {
  let b = sizes.get(n)
  if (b === undefined) { b = new Uint8Array(n); sizes.set(n, b) }
  return b
}

function idOf (label: string): Uint8Array {
  return new Uint8Array(crypto.createHash('sha256').update(label).digest())
}

export function makeDm (idx: number, from: number, to: number, keys: Uint8Array[], created: number, lifetimeMs: number): Msg {
  const id = idOf(`dm:${idx}`)
  const v: ValidEnvelope = {
    code: 'valid',
    id,
    envelope: { body: new Uint8Array(0), sig: new Uint8Array(0), hops: 0 } as unknown as ValidEnvelope['envelope'],
    body: { v: 1, kind: Kind.DIRECT, from: keys[from], to: keys[to], created, expires: created + lifetimeMs, priority: Priority.NORMAL, ref: new Uint8Array(0), payload: new Uint8Array(0) } as unknown as ValidEnvelope['body']
  }
  return { hex: toHex(id), kind: 'dm', idx, from, to, v, bytes: blob(DM_BYTES) }
}

/** The recipient's ACK: CRITICAL, as long-lived as the original (mailroom.receiveMine). */
export function makeAck (dm: Msg, keys: Uint8Array[], now: number): Msg {
  const id = idOf(`ack:${dm.idx}`)
  const v: ValidEnvelope = {
    code: 'valid',
    id,
    envelope: { body: new Uint8Array(0), sig: new Uint8Array(0), hops: 0 } as unknown as ValidEnvelope['envelope'],
    body: { v: 1, kind: Kind.ACK, from: keys[dm.to], to: keys[dm.from], created: now, expires: Math.max(dm.v.body.expires, now + 60_000), priority: Priority.CRITICAL, ref: dm.v.id, payload: new Uint8Array(0) } as unknown as ValidEnvelope['body']
  }
  return { hex: toHex(id), kind: 'ack', idx: dm.idx, from: dm.to, to: dm.from, v, bytes: blob(ACK_BYTES) }
}

export class ModelNode {
  up = true
  /** Bumped on every stop/start: timers of an earlier life are ignored. */
  life = 0
  /** gossipsub's seen-cache and the GossipRouter's (in memory: lost on restart). */
  seen = new Set<string>()
  /** DMs received here (history) and the ACK made for each. */
  readonly history = new Map<string, Msg>()
  /** Outbox entries with a direct hand-over in flight. */
  readonly inFlight = new Set<string>()
  pumpToken = 0
  envelopes!: EnvelopeStore
  outbox!: Outbox

  private constructor (readonly index: number, readonly keyHex: string) {}

  static async create (index: number, key: Uint8Array, limits: CustodyLimits, now: () => number, random: () => number, backoffBaseMs?: number): Promise<ModelNode> {
    const node = new ModelNode(index, toHex(key))
    const stores = memoryStores()
    node.envelopes = await EnvelopeStore.open(stores, limits, now)
    node.outbox = await Outbox.open(stores, { now, random, baseMs: backoffBaseMs })
    return node
  }

  /** The gossip validator's duplicate test (GossipRouter.judge → node.knows). */
  knows (hex: string): boolean {
    return this.envelopes.has(hex) || this.history.has(hex) || this.envelopes.isTombstoned(hex)
  }

  /** Earliest due time of an outbox entry not already being handed over. */
  nextDue (): number | undefined {
    let min: number | undefined
    for (const e of this.outbox.list()) if (!this.inFlight.has(e.id) && (min === undefined || e.nextAt < min)) min = e.nextAt
    return min
  }
}
