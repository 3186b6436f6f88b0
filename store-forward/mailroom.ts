/**
 * The mailroom: what happens to a valid envelope, whichever path brought it
 * (gossip, direct delivery, sync), and how this node's own mail is written.
 *
 * - DIRECT to me: opened, kept in history, answered with a signed ACK
 *   (CRITICAL); the original is not kept, a tombstone keeps sync from
 *   bringing it back. A repeat gets the same ACK again, never a second entry.
 * - ACK: drops custody of the acknowledged envelope everywhere (tombstone
 *   until the original's expiry); on the author's node it clears the outbox
 *   entry and marks the message delivered.
 * - Anything else for others: custody, within quota.
 */
import { EventEmitter } from 'node:events'
import { signEnvelope, withHops, toHex, fromHex, Kind, Priority, PRIORITY_RANK, type ValidEnvelope, type SignedEnvelope } from '../mesh/envelope.js'
import { seal, open } from '../mesh/seal.js'
import { encodeContent, decodeContent, ContentType, type ContentInit, type Content } from '../mesh/content.js'
import { DEFAULT_LIFETIME_MS, MAX_LIFETIME_MS } from '../mesh/constants.js'
import type { EnvelopeStore } from './envelopes.js'
import type { Outbox } from './outbox.js'
import type { History, HistoryEntry } from './history.js'
import type { BatchOp, Stores } from './db.js'
import { put, del } from './db.js'
import { QuotaExceededError } from './errors.js'

export interface MailIdentity {
  seed: Uint8Array
  publicKey: Uint8Array
  xSecret: Uint8Array
  xPublic: Uint8Array
}

/** Stands for a content type newer than this code (never equal to a known one). */
const UNKNOWN_CONTENT = 'UNKNOWN' as unknown as ContentType

export type Via = 'gossip' | 'deliver' | 'sync' | 'local'

/** kv rows `ack:<id>` → { ack: ACK id, expires }: the ACK sent for a non-text receipt, for repeats of it. */
const ACK_PREFIX = 'ack:'
const ACK_PREFIX_END = 'ack;'
/** ACK ids kept in memory in front of those rows. */
const ACK_CACHE_MAX = 1000

function ackOf (row: unknown): string | undefined {
  if (typeof row === 'string') return row
  return (row as { ack?: string } | undefined)?.ack
}

export type ReceiveCode = 'delivered' | 'duplicate' | 'held' | 'acked' | 'tombstoned' | 'refused' | 'undecryptable' | 'blocked' | 'ignored'

export interface ReceiveResult {
  code: ReceiveCode
  /** Encoded ACK envelope, when this node is the recipient of a DIRECT envelope. */
  ack?: Uint8Array
  ackId?: Uint8Array
  /** True when the envelope is new here and may be passed on (re-gossiped). */
  fresh: boolean
  /** The bytes as held here (hop count included), when newly held. */
  stored?: Uint8Array
}

export interface MailroomInit {
  identity: MailIdentity
  stores: Stores
  envelopes: EnvelopeStore
  outbox: Outbox
  history: History
  now?: () => number
  isBlocked?: (authorHex: string) => boolean
  /** Most own envelopes waiting for their ACK; more sends fail with QuotaExceededError. @default unlimited */
  outboxMax?: number
  /** Opens channel envelopes held here (joined channels) and takes owners' rotated keys. */
  channels?: ChannelSink
  /** Routed mode: an ACK this node makes goes into the outbox (routed to its author) instead of being published once. @default never */
  routeAcks?: () => boolean
}

/** What the mailroom hands channel envelopes and CHANNEL_KEY contents to (store-forward/channels.ts). */
export interface ChannelSink {
  receive: (v: ValidEnvelope) => Promise<void>
  receiveKey: (from: string, content: Content) => Promise<boolean>
}

export interface SendOptions {
  priority?: Priority
  /** Envelope lifetime, ms. @default DEFAULT_LIFETIME_MS */
  lifetimeMs?: number
  /** Disappearing message: delete from both sides after this many ms. */
  ttlMs?: number
}

export interface MailroomEvents {
  message: [HistoryEntry]
  delivered: [HistoryEntry]
  updated: [HistoryEntry]
  typing: [{ from: string }]
  outbox: [{ id: string, change: 'added' | 'removed' }]
}

export class Mailroom extends EventEmitter<MailroomEvents> {
  readonly me: string
  private readonly now: () => number
  private lastCreated = 0

  constructor (private readonly init: MailroomInit) {
    super()
    this.me = toHex(init.identity.publicKey)
    this.now = init.now ?? Date.now
  }

  get envelopes (): EnvelopeStore { return this.init.envelopes }
  get outbox (): Outbox { return this.init.outbox }
  get history (): History { return this.init.history }

  /** Write a sealed DIRECT envelope: envelope, outbox entry and history in one batch. */
  async send (toKey: Uint8Array, content: ContentInit, opts: SendOptions = {}): Promise<{ id: string, signed: SignedEnvelope, entry: HistoryEntry | undefined }> {
    const max = this.init.outboxMax ?? Infinity
    if (this.init.outbox.size >= max) {
      throw new QuotaExceededError(`the outbox is full (${max} undelivered messages); wait for deliveries, or discard with \`funkpost outbox clear\``)
    }
    // Strictly increasing: two messages sent in the same millisecond keep their order (outbox, history, the peer's view).
    const now = Math.max(this.now(), this.lastCreated + 1)
    this.lastCreated = now
    const priority = opts.priority ?? (content.type === ContentType.TYPING ? Priority.LOW : Priority.NORMAL)
    const lifetime = Math.min(opts.lifetimeMs ?? DEFAULT_LIFETIME_MS, MAX_LIFETIME_MS)
    const header = { from: this.init.identity.publicKey, to: toKey, created: now, expires: now + lifetime }
    const payload = seal(encodeContent({ ...content, ttl: opts.ttlMs ?? content.ttl }), header)
    const signed = signEnvelope(this.init.identity.seed, { kind: Kind.DIRECT, ...header, priority, payload })
    const id = toHex(signed.id)
    const ops: BatchOp[] = []
    const out = this.init.outbox.addOp(id, PRIORITY_RANK[priority], now)
    ops.push(out.op)
    let entry: HistoryEntry | undefined
    const type = content.type ?? ContentType.TEXT
    if (type === ContentType.TEXT || type === ContentType.REPLY) {
      entry = {
        id, dir: 'out', from: this.me, to: toHex(toKey), peer: toHex(toKey), conv: 'direct', type,
        text: content.text ?? '', ref: content.ref !== undefined ? toHex(content.ref) : undefined,
        at: now, seen: now, expires: header.expires, status: 'queued',
        deleteAt: opts.ttlMs !== undefined && opts.ttlMs > 0 ? now + opts.ttlMs : undefined
      }
      ops.push(this.init.history.putOp(entry))
    } else {
      await this.applyContentLocally(this.me, toHex(toKey), type, content)
    }
    const v: ValidEnvelope = { code: 'valid', id: signed.id, envelope: signed.envelope, body: signed.body }
    await this.init.envelopes.hold(v, signed.bytes, 'own', 0, ops)
    this.init.outbox.commitAdd(out.state)
    if (entry !== undefined) this.init.history.commit(entry)
    this.emit('outbox', { id, change: 'added' })
    return { id, signed, entry }
  }

  /** Edits, deletes and reactions I make apply to my own copy at once. */
  private async applyContentLocally (author: string, peer: string, type: ContentType, content: ContentInit): Promise<void> {
    if (content.ref === undefined) return
    await this.applyAction(author, type, toHex(content.ref), content.text ?? '', content.emoji ?? '', peer)
  }

  /** Apply an edit, delete, reaction or read marker to my history, and say so. */
  private async applyAction (author: string, type: ContentType, ref: string, text: string, emoji: string, conv: string): Promise<void> {
    const e = await this.init.history.applyAction({ author, type, ref, text, emoji, conv })
    if (e !== undefined) this.emit('updated', e)
  }

  /** Receipts in progress, by subject (an envelope's id; an ACK's ref): one at a time per subject. */
  private readonly busy = new Map<string, Promise<unknown>>()

  /**
   * Handle a valid envelope from any path. The same envelope arriving on
   * several paths at once (gossip, sync, deliver) is handled one copy after
   * the other, so it is opened, ACKed and counted once.
   */
  async receive (v: ValidEnvelope, bytes: Uint8Array, via: Via): Promise<ReceiveResult> {
    const key = toHex(v.body.kind === Kind.ACK ? v.body.ref : v.id)
    const prev = this.busy.get(key)
    const run = prev === undefined ? this.receiveOne(v, bytes, via) : prev.then(async () => this.receiveOne(v, bytes, via), async () => this.receiveOne(v, bytes, via))
    this.busy.set(key, run)
    try {
      return await run
    } finally {
      if (this.busy.get(key) === run) this.busy.delete(key)
    }
  }

  private async receiveOne (v: ValidEnvelope, bytes: Uint8Array, via: Via): Promise<ReceiveResult> {
    const body = v.body
    const id = toHex(v.id)
    const from = toHex(body.from)
    const to = toHex(body.to)
    if (from !== this.me && this.init.isBlocked?.(from) === true) {
      await this.refuse(v)
      return { code: 'blocked', fresh: false }
    }
    switch (body.kind) {
      case Kind.DIRECT:
        if (to === this.me) return this.receiveMine(v, id, from)
        return this.hold(v, bytes, id, to, via)
      case Kind.ACK:
        return this.receiveAck(v, bytes, id, from, to, via)
      default: {
        const r = await this.hold(v, bytes, id, to, via)
        if ((r.code === 'held' || r.code === 'refused') && (body.kind === Kind.CHANNEL || body.kind === Kind.CONTROL)) await this.init.channels?.receive(v)
        return r
      }
    }
  }

  /**
   * Mail to me from a blocked author: never shown, not even after an unblock
   * (a local tombstone, no ACK — the author is not told).
   */
  async refuse (v: ValidEnvelope): Promise<void> {
    if (v.body.kind !== Kind.DIRECT || toHex(v.body.to) !== this.me) return
    const id = toHex(v.id)
    if (this.init.envelopes.isTombstoned(id, this.me)) return
    await this.init.envelopes.remove(id, { expires: v.body.expires, ackFrom: this.me })
  }

  private async hold (v: ValidEnvelope, bytes: Uint8Array, id: string, to: string, via: Via): Promise<ReceiveResult> {
    if (this.init.envelopes.has(id)) return { code: 'duplicate', fresh: false }
    if (this.init.envelopes.isTombstoned(id, to)) return { code: 'tombstoned', fresh: false }
    const hops = via === 'gossip' ? v.envelope.hops : v.envelope.hops + 1
    const stored = hops === v.envelope.hops ? bytes : withHops(v.envelope, hops)
    const r = await this.init.envelopes.hold(v, stored, 'custody', hops)
    return r === 'held' ? { code: 'held', fresh: true, stored } : { code: r, fresh: false }
  }

  private async receiveMine (v: ValidEnvelope, id: string, from: string): Promise<ReceiveResult> {
    const known = this.init.history.get(id)
    if (known !== undefined || this.init.envelopes.isTombstoned(id, this.me)) {
      const ackId = known?.ackId ?? this.ackIds.get(id) ?? ackOf(await this.init.stores.kv.get(`${ACK_PREFIX}${id}`))
      const ack = ackId !== undefined ? await this.init.envelopes.get(ackId) : undefined
      return { code: 'duplicate', ack, ackId: ackId !== undefined && ack !== undefined ? fromHex(ackId) : undefined, fresh: false }
    }
    const body = v.body
    let plain: Uint8Array
    try {
      plain = open(body.payload, { from: body.from, to: body.to, created: body.created, expires: body.expires }, this.init.identity.xSecret, this.init.identity.xPublic)
    } catch {
      return { code: 'undecryptable', fresh: false }
    }
    let content: Content
    try {
      content = decodeContent(plain)
    } catch {
      // Opened, so it was for me, but a content type this version does not know:
      // acknowledge it (the author stops retrying) and show nothing.
      content = { type: UNKNOWN_CONTENT, text: '', ref: new Uint8Array(0), emoji: '', ttl: 0, file: new Uint8Array(0), chunk: 0, chunks: 0, data: new Uint8Array(0), nonce: new Uint8Array(0) } as unknown as Content
    }
    const now = this.now()
    if (content.type === ContentType.TYPING) {
      this.emit('typing', { from })
      return { code: 'ignored', fresh: false }
    }
    // The ACK: CRITICAL, as long-lived as the original, so every relay can drop it.
    const ack = signEnvelope(this.init.identity.seed, {
      kind: Kind.ACK, from: this.init.identity.publicKey, to: body.from, created: now,
      expires: Math.max(body.expires, now + 60_000), priority: Priority.CRITICAL, ref: v.id
    })
    const ackHex = toHex(ack.id)
    const ops: BatchOp[] = [put(this.init.stores.tombstones, id, { expires: body.expires, ackFrom: this.me })]
    let entry: HistoryEntry | undefined
    if (content.type === ContentType.TEXT || content.type === ContentType.REPLY) {
      entry = {
        id, dir: 'in', from, to: this.me, peer: from, conv: 'direct', type: content.type, text: content.text,
        ref: content.ref.length > 0 ? toHex(content.ref) : undefined, at: body.created, seen: now,
        expires: body.expires, status: 'received', ackId: ackHex,
        deleteAt: content.ttl > 0 ? now + content.ttl : undefined
      }
      ops.push(this.init.history.putOp(entry))
    } else {
      ops.push(put(this.init.stores.kv, `${ACK_PREFIX}${id}`, { ack: ackHex, expires: body.expires }))
    }
    // Routed mode: the ACK travels like mail (to its author, or the author's mailbox), so it waits in the outbox until handed over.
    const routed = this.init.routeAcks?.() === true ? this.init.outbox.addOp(ackHex, PRIORITY_RANK[Priority.CRITICAL], now) : undefined
    if (routed !== undefined) ops.push(routed.op)
    const av: ValidEnvelope = { code: 'valid', id: ack.id, envelope: ack.envelope, body: ack.body }
    await this.init.envelopes.hold(av, ack.bytes, 'own', 0, ops)
    if (routed !== undefined) {
      this.init.outbox.commitAdd(routed.state)
      this.emit('outbox', { id: ackHex, change: 'added' })
    }
    // The batch above made it durable (history + ACK + tombstone): tell the user now,
    // before any further write that a stopping node could fail.
    this.ackIds.set(id, ackHex)
    if (this.ackIds.size > ACK_CACHE_MAX) this.ackIds.delete(this.ackIds.keys().next().value as string)
    if (entry !== undefined) {
      this.init.history.commit(entry)
      this.emit('message', entry)
    }
    await this.init.envelopes.remove(id, { expires: body.expires, ackFrom: this.me })
    if (entry !== undefined) {
      // shown above
    } else if (content.type === ContentType.CHANNEL_KEY) {
      await this.init.channels?.receiveKey(from, content)
    } else if (content.ref.length > 0) {
      await this.applyAction(from, content.type, toHex(content.ref), content.text, content.emoji, from)
    }
    return { code: 'delivered', ack: ack.bytes, ackId: ack.id, fresh: true }
  }

  /** The latest ACK ids of envelopes I acknowledged that are not history entries (reactions, edits, …); the kv rows hold all of them. */
  private readonly ackIds = new Map<string, string>()

  private async receiveAck (v: ValidEnvelope, bytes: Uint8Array, id: string, from: string, to: string, via: Via): Promise<ReceiveResult> {
    const ref = toHex(v.body.ref)
    const mine = to === this.me
    const dropped = await this.init.envelopes.applyAck(v)
    let code: ReceiveCode = 'acked'
    if (mine) {
      const out = this.init.outbox.get(ref)
      const entry = this.init.history.get(ref)
      if ((out !== undefined || entry !== undefined) && (dropped === undefined || dropped.to === from) && (entry === undefined || entry.to === from)) {
        if (out !== undefined) {
          await this.init.outbox.remove(ref)
          this.emit('outbox', { id: ref, change: 'removed' })
        }
        const advanced = await this.init.history.advance(ref, 'delivered')
        if (advanced !== undefined) this.emit('delivered', advanced)
      }
      // Kept (briefly) so sync passes it on to relays that still hold the original.
    }
    if (this.init.envelopes.has(id)) return { code: 'duplicate', fresh: false }
    const held = await this.hold(v, bytes, id, to, via)
    return { code: held.code === 'held' ? code : held.code, fresh: held.fresh, stored: held.stored }
  }

  /**
   * Forget the ACKs of non-text receipts once the original has expired (no
   * copy of it can arrive any more). Rows written before they carried an
   * expiry go when their ACK envelope is no longer held.
   */
  async expireAcks (): Promise<number> {
    const now = this.now()
    const gone: BatchOp[] = []
    for await (const [key, v] of this.init.stores.kv.iterator({ gte: ACK_PREFIX, lt: ACK_PREFIX_END })) {
      const row = v as { ack?: string, expires?: number } | string
      const expired = typeof row === 'string' ? !this.init.envelopes.has(row) : (row.expires ?? 0) <= now
      if (expired) {
        gone.push(del(this.init.stores.kv, key))
        this.ackIds.delete(key.slice(ACK_PREFIX.length))
      }
    }
    if (gone.length > 0) await this.init.stores.db.batch(gone)
    return gone.length
  }

  /** Forget messages whose disappearing timer ran out. */
  async expireHistory (): Promise<number> {
    const now = this.now()
    let n = 0
    for (const e of [...this.init.history.all()]) {
      if (e.deleteAt !== undefined && e.deleteAt <= now) { await this.init.history.remove(e.id); n++ }
    }
    return n
  }
}
