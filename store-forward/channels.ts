/**
 * Channels this node has joined: their keys and owner state, and what a
 * channel envelope means to a member. Every node holds channel envelopes in
 * custody whether it joined or not (a router serves its neighbourhood);
 * members also open them into history, in order, without duplicates — and a
 * member who joins later opens the unexpired history its node already holds
 * or receives by sync.
 */
import { EventEmitter } from 'node:events'
import { toHex, fromHex, Kind, Priority, type ValidEnvelope, validateEnvelope } from '../mesh/envelope.js'
import { makePost, openPost, postEpoch, makeControl, readControl, ChannelControl } from '../mesh/channel.js'
import { encodeContent, decodeContent, ContentType, type ContentInit, type Content } from '../mesh/content.js'
import { DEFAULT_LIFETIME_MS, MAX_LIFETIME_MS } from '../mesh/constants.js'
import type { Stores } from './db.js'
import type { EnvelopeStore } from './envelopes.js'
import type { History, HistoryEntry } from './history.js'
import type { MailIdentity } from './mailroom.js'

export interface ChannelState {
  /** hex */
  id: string
  name: string
  kind: 'public' | 'private'
  /** Owner key (hex), private channels. */
  owner?: string
  /** epoch → key (hex) */
  keys: Record<string, string>
  epoch: number
  /** member key (hex) → epoch from which they are out */
  removed: Record<string, number>
  /** member key (hex) → created time of the owner's REMOVE: their posts from then on are refused, whatever epoch they claim. */
  removedAt?: Record<string, number>
  /** Message lifetime set by the owner, ms (0 = default). */
  lifetimeMs: number
  /** Authors seen posting (the owner sends rotated keys to them). */
  members: string[]
  /** Public channels: authors this user muted. */
  muted: string[]
  joined: number
}

export interface ChannelEvents {
  post: [HistoryEntry]
  /** A reaction, edit or delete changed a post. */
  updated: [HistoryEntry]
  control: [{ channel: string, action: string }]
  rejected: [{ channel: string, reason: string }]
}

const MAX_MEMBERS = 1000

export class ChannelRoom extends EventEmitter<ChannelEvents> {
  private readonly channels = new Map<string, ChannelState>()
  private readonly now: () => number
  private lastCreated = 0

  private constructor (
    private readonly stores: Stores,
    private readonly envelopes: EnvelopeStore,
    private readonly history: History,
    private readonly identity: MailIdentity,
    now?: () => number
  ) {
    super()
    this.now = now ?? Date.now
  }

  static async open (init: { stores: Stores, envelopes: EnvelopeStore, history: History, identity: MailIdentity, now?: () => number }): Promise<ChannelRoom> {
    const r = new ChannelRoom(init.stores, init.envelopes, init.history, init.identity, init.now)
    for await (const [id, s] of init.stores.channels.iterator()) r.channels.set(id, s as ChannelState)
    return r
  }

  get me (): string { return toHex(this.identity.publicKey) }
  list (): ChannelState[] { return [...this.channels.values()].sort((a, b) => a.name.localeCompare(b.name)) }
  get (id: string): ChannelState | undefined { return this.channels.get(id) }
  byName (name: string): ChannelState | undefined { return this.list().find(c => c.name === name) }
  has (id: string): boolean { return this.channels.has(id) }

  private async save (s: ChannelState): Promise<void> {
    await this.stores.channels.put(s.id, s)
    this.channels.set(s.id, s)
  }

  /** Join (or re-join): remember the channel and open what is already held for it. */
  async join (s: Omit<ChannelState, 'joined' | 'members' | 'muted' | 'removed' | 'lifetimeMs'> & Partial<ChannelState>): Promise<ChannelState> {
    const old = this.channels.get(s.id)
    const state: ChannelState = {
      removed: {}, lifetimeMs: 0, members: [], muted: [], joined: this.now(), ...old, ...s,
      keys: { ...(old?.keys ?? {}), ...s.keys },
      epoch: Math.max(old?.epoch ?? 0, s.epoch)
    }
    await this.save(state)
    await this.replay(state.id)
    return state
  }

  async leave (id: string): Promise<void> {
    await this.stores.channels.del(id)
    this.channels.delete(id)
  }

  async mute (id: string, author: string, on: boolean): Promise<void> {
    const s = this.channels.get(id)
    if (s === undefined) return
    s.muted = on ? [...new Set([...s.muted, author])] : s.muted.filter(a => a !== author)
    await this.save(s)
  }

  /** Open every held envelope of a channel, oldest first (CONTROL before posts of the same time). */
  async replay (id: string): Promise<void> {
    const held = [...this.envelopes.items()].filter(x => x.meta.to === id && (x.meta.kind === Kind.CHANNEL || x.meta.kind === Kind.CONTROL))
      .sort((a, b) => a.ts - b.ts || (a.meta.kind === Kind.CONTROL ? -1 : 1))
    const bytes = await this.envelopes.getMany(held.map(x => x.id))
    for (const b of bytes) {
      if (b === undefined) continue
      const v = validateEnvelope(b, { now: this.now() })
      if (v.code === 'valid') await this.receive(v)
    }
  }

  /** A channel or control envelope held here; acts on it if the channel is joined. */
  async receive (v: ValidEnvelope): Promise<void> {
    const s = this.channels.get(toHex(v.body.to))
    if (s === undefined) return
    if (v.body.kind === Kind.CONTROL) { await this.control(s, v); return }
    const id = toHex(v.id)
    if (this.history.has(id)) return
    const from = toHex(v.body.from)
    const epoch = postEpoch(v)
    const key = epoch !== undefined ? s.keys[String(epoch)] : undefined
    if (key === undefined) return // a later key (rotation) may open it
    const out = s.removed[from]
    // A removed member still knows the old keys: refuse its posts at the new epoch and any it makes after the removal.
    if (out !== undefined && ((epoch as number) >= out || v.body.created >= (s.removedAt?.[from] ?? Infinity))) { this.emit('rejected', { channel: s.name, reason: 'removed member' }); return }
    let content: Content
    try {
      content = decodeContent(openPost(v, fromHex(key)))
    } catch {
      this.emit('rejected', { channel: s.name, reason: 'cannot open' })
      return
    }
    if (!s.members.includes(from) && s.members.length < MAX_MEMBERS) { s.members.push(from); await this.save(s) }
    if (s.muted.includes(from)) return
    const now = this.now()
    if (content.type === ContentType.TEXT || content.type === ContentType.REPLY || content.type === ContentType.JOIN) {
      const ttl = content.ttl > 0 ? content.ttl : s.lifetimeMs
      const entry: HistoryEntry = {
        id, dir: from === this.me ? 'out' : 'in', from, to: s.id, peer: s.id, conv: 'channel', type: content.type,
        text: content.type === ContentType.JOIN ? '(joined)' : content.text,
        ref: content.ref.length > 0 ? toHex(content.ref) : undefined, at: v.body.created, seen: now,
        expires: v.body.expires, status: from === this.me ? 'sent' : 'received',
        deleteAt: ttl > 0 ? v.body.created + ttl : undefined
      }
      if (entry.deleteAt !== undefined && entry.deleteAt <= now) return
      await this.history.save(entry)
      this.emit('post', entry)
    } else if (content.ref.length > 0) {
      const e = await this.history.applyAction({ author: from, type: content.type, ref: toHex(content.ref), text: content.text, emoji: content.emoji, conv: s.id })
      if (e !== undefined) this.emit('updated', e)
    }
  }

  private async control (s: ChannelState, v: ValidEnvelope): Promise<void> {
    const c = readControl(v)
    if (c === undefined) return
    if (s.kind !== 'private' || s.owner === undefined || toHex(v.body.from) !== s.owner) {
      this.emit('rejected', { channel: s.name, reason: 'control not signed by the owner' })
      return
    }
    if (c.action === ChannelControl.Action.REMOVE && c.member.length === 32) {
      s.removed[toHex(c.member)] = c.epoch
      s.removedAt = { ...(s.removedAt ?? {}), [toHex(c.member)]: Math.min(s.removedAt?.[toHex(c.member)] ?? Infinity, v.body.created) }
      s.members = s.members.filter(m => m !== toHex(c.member))
      s.epoch = Math.max(s.epoch, c.epoch)
    } else if (c.action === ChannelControl.Action.LIFETIME) {
      s.lifetimeMs = Math.min(c.lifetimeMs, MAX_LIFETIME_MS)
    } else return
    await this.save(s)
    this.emit('control', { channel: s.name, action: c.action })
  }

  /** A CHANNEL_KEY sent by a channel's owner in a sealed DIRECT message. */
  async receiveKey (from: string, content: Content): Promise<boolean> {
    const s = this.channels.get(toHex(content.ref))
    if (s === undefined || s.owner !== from || content.data.length !== 32) return false
    s.keys[String(content.chunk)] = toHex(content.data)
    s.epoch = Math.max(s.epoch, content.chunk)
    await this.save(s)
    await this.replay(s.id)
    return true
  }

  /** Write a post: envelope (own) + history, then the caller publishes it. */
  async post (id: string, content: ContentInit, opts: { ttlMs?: number, priority?: Priority } = {}): Promise<{ id: string, bytes: Uint8Array, entry?: HistoryEntry }> {
    const s = this.channels.get(id)
    if (s === undefined) throw new Error('not a member of that channel')
    if (s.removed[this.me] !== undefined) throw new Error(`you were removed from ${s.name} by its owner`)
    const key = s.keys[String(s.epoch)]
    if (key === undefined) throw new Error(`no key for ${s.name} yet (waiting for the owner's new key)`)
    // Strictly increasing: two posts in the same millisecond keep their order.
    const now = Math.max(this.now(), this.lastCreated + 1)
    this.lastCreated = now
    const lifetime = s.lifetimeMs > 0 ? s.lifetimeMs : DEFAULT_LIFETIME_MS
    const signed = makePost({
      seed: this.identity.seed, from: this.identity.publicKey, channelId: fromHex(s.id), key: fromHex(key), epoch: s.epoch,
      content: encodeContent({ ...content, ttl: opts.ttlMs ?? content.ttl }), created: now, expires: now + Math.min(lifetime, MAX_LIFETIME_MS), priority: opts.priority
    })
    const v: ValidEnvelope = { code: 'valid', id: signed.id, envelope: signed.envelope, body: signed.body }
    await this.envelopes.hold(v, signed.bytes, 'own', 0)
    await this.receive(v)
    const hid = toHex(signed.id)
    return { id: hid, bytes: signed.bytes, entry: this.history.get(hid) }
  }

  /** Owner: remove a member and rotate the key; returns the control envelope and the new key to hand to the others. */
  async remove (id: string, member: string, newKey: Uint8Array): Promise<{ control: Uint8Array, controlId: Uint8Array, epoch: number, recipients: string[] }> {
    const s = this.channels.get(id)
    if (s === undefined || s.owner !== this.me) throw new Error('only the owner of a private channel can remove members')
    const epoch = s.epoch + 1
    s.keys[String(epoch)] = toHex(newKey)
    const now = this.now()
    const c = makeControl(this.identity.seed, this.identity.publicKey, fromHex(id), { action: ChannelControl.Action.REMOVE, member: fromHex(member), epoch }, now, now + MAX_LIFETIME_MS)
    await this.save(s)
    const v: ValidEnvelope = { code: 'valid', id: c.id, envelope: c.envelope, body: c.body }
    await this.envelopes.hold(v, c.bytes, 'own', 0)
    await this.control(s, v)
    return { control: c.bytes, controlId: c.id, epoch, recipients: s.members.filter(m => m !== member && m !== this.me) }
  }

  /** Owner: set the message lifetime of the channel. */
  async setLifetime (id: string, lifetimeMs: number): Promise<{ control: Uint8Array, controlId: Uint8Array }> {
    const s = this.channels.get(id)
    if (s === undefined || s.owner !== this.me) throw new Error('only the owner of a private channel can set its message lifetime')
    const now = this.now()
    const c = makeControl(this.identity.seed, this.identity.publicKey, fromHex(id), { action: ChannelControl.Action.LIFETIME, lifetimeMs }, now, now + MAX_LIFETIME_MS)
    const v: ValidEnvelope = { code: 'valid', id: c.id, envelope: c.envelope, body: c.body }
    await this.envelopes.hold(v, c.bytes, 'own', 0)
    await this.control(s, v)
    return { control: c.bytes, controlId: c.id }
  }
}

export { Priority }
