/**
 * FunkpostNode: one running node — identity, store, libp2p with gossip,
 * direct delivery, sync, announces and the outbox pump — with the API the
 * CLI, the control socket and the tests use.
 */
import { EventEmitter } from 'node:events'
import path from 'node:path'
import fs from 'node:fs'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { PeerId } from '@libp2p/interface'
import { validateEnvelope, toHex, fromHex, Kind, type ValidEnvelope } from '../mesh/envelope.js'
import { GossipRouter, channelTopic } from '../mesh/gossip.js'
import { DeliverProtocol, DeliverResponse } from '../mesh/deliver.js'
import { makeAnnounce, readAnnounce, Directory, type DirectoryEntry } from '../mesh/announce.js'
import { idFromPublicKey, publicKeyFromId } from '../mesh/ids.js'
import { MAIL_TOPIC, ANNOUNCE_TOPIC, ANNOUNCE_INTERVAL_MS, MAX_HOPS } from '../mesh/constants.js'
import { ContentType, type ContentInit } from '../mesh/content.js'
import { openStores, type Stores } from '../store-forward/db.js'
import { EnvelopeStore } from '../store-forward/envelopes.js'
import { Outbox } from '../store-forward/outbox.js'
import { History, type HistoryEntry } from '../store-forward/history.js'
import { Mailroom, type SendOptions, type Via } from '../store-forward/mailroom.js'
import { SWEEP_INTERVAL_MS, SYNC_INTERVAL_MS } from '../store-forward/constants.js'
import { SyncProtocol } from '../store-forward/sync.js'
import { ChannelRoom, type ChannelState } from '../store-forward/channels.js'
import { publicChannelId, publicChannelKey, normalizeChannelName, newPrivateChannel } from '../mesh/channel.js'
import { buildLibp2p, type FunkpostLibp2p } from './libp2p.js'
import { libp2pKey, type Identity } from './identity.js'
import { PROFILES, DEFAULT_PROFILE, type ProfileName, type Profile } from './profiles.js'
import { Keeper } from './keeper.js'
import { logger } from './log.js'

/** Channels a relay carries without having joined them (gossip topics), at most. */
const RELAY_TOPICS_MAX = 64
/** A new connection triggers an announce only if the last one is older than this (announces were the largest traffic at 100 nodes). */
const ANNOUNCE_MIN_GAP_MS = 30_000
/** Channel envelopes are handed directly to at most this many connected peers that do not subscribe to the channel's topic… */
const CHANNEL_PUSH_PEERS = 8
/** …and a relay that starts carrying a channel hands on at most this many of the newest envelopes it holds for it. */
const CHANNEL_PUSH_ENVELOPES = 16
/** On joining a channel, sync with this many connected peers at once to fetch its history. */
const JOIN_SYNC_PEERS = 3

export interface FunkpostNodeInit {
  home: string
  identity: Identity
  name?: string
  listen: string[]
  bootstrap?: string[]
  /** Peers on other islands to keep connected (Tor bridges). */
  bridges?: string[]
  mdns?: boolean
  dht?: boolean
  profile?: ProfileName
  /** Override the profile's custody byte quota. */
  quotaBytes?: number
  memory?: boolean
  torSocks?: { host: string, port: number }
  onlyTor?: boolean
  /** Extra addresses to announce (onion). */
  announce?: string[]
  roles?: string[]
  now?: () => number
  random?: () => number
  /** @default SYNC_INTERVAL_MS */
  syncIntervalMs?: number
  /** @default ANNOUNCE_INTERVAL_MS */
  announceIntervalMs?: number
  /** @default SWEEP_INTERVAL_MS */
  sweepIntervalMs?: number
  /** Outbox backoff base, ms (tests shrink it). */
  backoffBaseMs?: number
  /** LOW outbox entries older than this are dropped, not sent. @default LOW_STALE_MS */
  lowStaleMs?: number
  mdnsIntervalMs?: number
  /** Pubsub router; floodsub only as the simulator's baseline. @default 'gossipsub' */
  pubsub?: 'gossipsub' | 'floodsub'
}

export interface NodeEvents {
  message: [HistoryEntry]
  delivered: [HistoryEntry]
  updated: [HistoryEntry]
  typing: [{ from: string }]
  'peer:join': [{ id: string }]
  'peer:leave': [{ id: string }]
  outbox: [{ id: string, change: 'added' | 'removed' }]
  received: [{ id: string, via: Via, code: string }]
}

export interface PeerInfo { id: string, name: string, addrs: string[], connected: boolean, key: string }

export interface NodeStatus {
  id: string
  name: string
  addrs: string[]
  peers: number
  custody: { count: number, bytes: number }
  outbox: { count: number }
  store: { count: number, bytes: number, tombstones: number, evicted: number }
  gossip: GossipRouter['stats']
  received: Record<string, number>
  profile: ProfileName
}

export class FunkpostNode extends EventEmitter<NodeEvents> {
  readonly identity: Identity
  readonly profileName: ProfileName
  readonly profile: Profile
  readonly directory: Directory
  libp2p!: FunkpostLibp2p
  stores!: Stores
  envelopes!: EnvelopeStore
  outbox!: Outbox
  history!: History
  mailroom!: Mailroom
  gossip!: GossipRouter
  deliverer!: DeliverProtocol
  sync!: SyncProtocol
  channels!: ChannelRoom
  private keeper!: Keeper
  private readonly timers: NodeJS.Timeout[] = []
  private pumpTimer: NodeJS.Timeout | undefined
  private pumping = false
  private pumpAgain = false
  private readonly received: Record<string, number> = {}
  private readonly blocked = new Set<string>()
  private readonly now: () => number
  private readonly log
  private running = false

  constructor (readonly init: FunkpostNodeInit) {
    super()
    this.identity = init.identity
    this.profileName = init.profile ?? DEFAULT_PROFILE
    const base = PROFILES[this.profileName]
    this.profile = init.quotaBytes !== undefined ? { ...base, custodyBytes: init.quotaBytes } : base
    this.now = init.now ?? Date.now
    this.directory = new Directory(this.profile.directoryMax, this.now)
    this.log = logger('node', init.identity.id.slice(-6))
  }

  get id (): string { return this.identity.id }
  get name (): string { return this.init.name ?? '' }
  get isRunning (): boolean { return this.running }

  /**
   * Open the store and, unless `network` is false, the network. An offline
   * node (network: false) serves local commands — queue mail, contacts,
   * history — without listening anywhere; its mail leaves on the next start.
   */
  async start (opts: { network?: boolean } = {}): Promise<void> {
    fs.mkdirSync(this.init.home, { recursive: true, mode: 0o700 })
    this.stores = await openStores(path.join(this.init.home, 'db'))
    try {
      await this.openLocal()
      if (opts.network !== false) await this.startNetwork()
    } catch (err) {
      await this.stop().catch(() => {})
      throw err
    }
  }

  get online (): boolean { return this.libp2p !== undefined && this.running }

  private async openLocal (): Promise<void> {
    const now = this.now
    this.envelopes = await EnvelopeStore.open(this.stores, this.profile, now)
    this.outbox = await Outbox.open(this.stores, { now, random: this.init.random, baseMs: this.init.backoffBaseMs, lowStaleMs: this.init.lowStaleMs })
    this.history = await History.open(this.stores)
    for await (const key of this.stores.blocklist.keys()) this.blocked.add(key)
    this.mailroom = new Mailroom({
      identity: this.identity, stores: this.stores, envelopes: this.envelopes, outbox: this.outbox,
      history: this.history, now, isBlocked: (k) => this.blocked.has(k)
    })
    this.mailroom.on('message', e => this.emit('message', e))
    this.mailroom.on('delivered', e => this.emit('delivered', e))
    this.mailroom.on('updated', e => this.emit('updated', e))
    this.mailroom.on('typing', e => this.emit('typing', e))
    this.mailroom.on('outbox', e => this.emit('outbox', e))
    this.channels = await ChannelRoom.open({ stores: this.stores, envelopes: this.envelopes, history: this.history, mailroom: this.mailroom, identity: this.identity, now })
    this.mailroom.channels = this.channels
    this.channels.on('post', e => this.emit('message', e))
  }

  private async startNetwork (): Promise<void> {
    const now = this.now
    this.libp2p = await buildLibp2p({
      privateKey: await libp2pKey(this.identity),
      profile: this.profile,
      listen: this.init.listen,
      memory: this.init.memory,
      mdns: this.init.mdns,
      mdnsIntervalMs: this.init.mdnsIntervalMs,
      bootstrap: this.init.bootstrap,
      torSocks: this.init.torSocks,
      onlyTor: this.init.onlyTor,
      dht: this.init.dht,
      announce: this.init.announce,
      pubsub: this.init.pubsub,
      // Dial what mDNS and bootstrap find; not every peer the DHT or an inbound connection makes known.
      onDiscovered: (p) => this.keeper?.discovered(p.id, p.multiaddrs)
    })
    this.gossip = new GossipRouter({
      pubsub: this.libp2p.services.pubsub,
      // Not awaited by gossip: a failure (the store closed by stop() mid-flight) is logged, never an unhandled rejection.
      onEnvelope: (v, bytes, source) => { this.accept(v, bytes, 'gossip', source).catch(err => this.log('gossip envelope not taken: %s', (err as Error).message)) },
      isBlocked: (k) => this.blocked.has(toHex(k)),
      isKnown: (id) => this.knows(toHex(id)),
      now
    })
    this.deliverer = new DeliverProtocol({ host: this.libp2p, onDeliver: async (bytes, peer) => this.onDeliver(bytes, peer) })
    this.sync = new SyncProtocol({
      host: this.libp2p,
      envelopes: this.envelopes,
      onEnvelope: async (bytes, peer) => { await this.receiveBytes(bytes, 'sync', peer.toString()) },
      withhold: (id) => this.outbox.isStale(id),
      now
    })
    this.keeper = new Keeper(this.libp2p, [...(this.init.bootstrap ?? []), ...(this.init.bridges ?? [])], this.log)

    this.libp2p.addEventListener('peer:connect', (evt) => this.onPeerConnect(evt.detail))
    this.libp2p.addEventListener('peer:disconnect', (evt) => {
      this.emit('peer:leave', { id: evt.detail.toString() })
    })

    await this.libp2p.start()
    this.gossip.start()
    for (const c of this.channels.list()) this.gossip.join(channelTopic(fromHex(c.id)))
    await this.deliverer.start()
    await this.sync.start()
    this.keeper.start()
    this.running = true

    this.every(this.init.announceIntervalMs ?? ANNOUNCE_INTERVAL_MS, async () => this.announce())
    this.every(this.init.syncIntervalMs ?? SYNC_INTERVAL_MS, async () => this.syncRandomNeighbour())
    this.every(this.init.sweepIntervalMs ?? SWEEP_INTERVAL_MS, async () => {
      await this.envelopes.sweep()
      await this.mailroom.expireHistory()
      for (const e of this.outbox.stale()) await this.dropOutbox(e.id)
    })
    this.schedulePump(0)
    this.log('listening on %s', this.addrs().join(' '))
  }

  private every (ms: number, fn: () => Promise<void>): void {
    const t = setInterval(() => { fn().catch(err => this.log.error('periodic task failed: %s', err?.message)) }, ms)
    t.unref()
    this.timers.push(t)
  }

  async stop (): Promise<void> {
    this.running = false
    for (const t of this.timers) clearInterval(t)
    this.timers.length = 0
    if (this.pumpTimer !== undefined) clearTimeout(this.pumpTimer)
    if (this.announceSoon !== undefined) clearTimeout(this.announceSoon)
    this.keeper?.stop()
    try { this.gossip?.stop() } catch {}
    await this.libp2p?.stop()?.catch(() => {})
    await this.stores?.db.close().catch(() => {})
  }

  addrs (): string[] {
    if (this.libp2p === undefined) return []
    return this.libp2p.getMultiaddrs().map(a => a.toString())
  }

  private knows (id: string): boolean {
    return this.envelopes.has(id) || this.history.has(id) || this.envelopes.isTombstoned(id)
  }

  /** Bytes from any non-gossip path: validate, then accept. */
  async receiveBytes (bytes: Uint8Array, via: Via, source?: string): Promise<{ code: string, ack?: Uint8Array, reason?: string }> {
    const v = validateEnvelope(bytes, { now: this.now() })
    if (v.code === 'invalid') {
      this.count(`invalid:${v.reason}`)
      return { code: 'invalid', reason: v.reason }
    }
    if (this.blocked.has(toHex(v.body.from))) {
      await this.mailroom.refuse(v)
      return { code: 'blocked' }
    }
    return this.accept(v, bytes, via, source)
  }

  private async accept (v: ValidEnvelope, raw: Uint8Array, via: Via, source?: string): Promise<{ code: string, ack?: Uint8Array }> {
    if (v.body.kind === Kind.ANNOUNCE) {
      const entry = readAnnounce(v)
      if (entry !== undefined && entry.id !== this.id && this.directory.update(entry)) {
        await this.stores.peers.put(entry.id, entry).catch(() => {})
      }
      return { code: 'announce' }
    }
    const r = await this.mailroom.receive(v, raw, via)
    this.count(r.code)
    this.emit('received', { id: toHex(v.id), via, code: r.code })
    if (r.ack !== undefined) {
      // Everyone who holds the original should learn it was delivered.
      void this.gossip.publish(MAIL_TOPIC, r.ack, r.ackId ?? new Uint8Array(32))
    }
    if (r.fresh && via !== 'gossip' && v.envelope.hops + 1 < MAX_HOPS) {
      const meta = this.envelopes.getMeta(toHex(v.id))
      const stored = r.stored ?? (meta !== undefined ? await this.envelopes.get(toHex(v.id)) : undefined)
      if (stored !== undefined) void this.gossip.publish(this.topicOf(v), stored, v.id)
    }
    if (r.fresh && v.body.kind === Kind.ACK) this.schedulePump(0)
    if (r.fresh && (v.body.kind === Kind.CHANNEL || v.body.kind === Kind.CONTROL)) this.relayChannel(toHex(v.body.to))
    void source
    return { code: r.code, ack: r.ack }
  }

  /** Relays carry channels they have not joined: join the topic of a channel seen here (at most RELAY_TOPICS_MAX of them). */
  private relayChannel (idHex: string): void {
    if (!this.online || this.channels.has(idHex) || this.relayTopics.has(idHex)) return
    if (this.relayTopics.size >= RELAY_TOPICS_MAX) return
    this.relayTopics.add(idHex)
    this.gossip.join(channelTopic(fromHex(idHex)))
    void this.pushChannel(idHex)
  }

  /**
   * Gossip reaches only peers subscribed to a channel's topic, and a relay
   * subscribes only once it holds an envelope of that channel. So channel
   * envelopes (the given ones, or the newest held here) are handed over by
   * the deliver protocol to connected peers not subscribed to the topic; a
   * relay among them then joins the topic and does the same for its own
   * neighbours, and later posts travel by gossip.
   */
  private async pushChannel (idHex: string, list?: Uint8Array[]): Promise<void> {
    if (!this.online) return
    const subscribed = new Set(this.libp2p.services.pubsub.getSubscribers(channelTopic(fromHex(idHex))).map(p => p.toString()))
    const peers = this.libp2p.getPeers().filter(p => !subscribed.has(p.toString())).slice(0, CHANNEL_PUSH_PEERS)
    if (peers.length === 0) return
    if (list === undefined) {
      const ids = [...this.envelopes.items()].filter(x => x.meta.to === idHex && (x.meta.kind === Kind.CHANNEL || x.meta.kind === Kind.CONTROL))
        .sort((a, b) => b.ts - a.ts).slice(0, CHANNEL_PUSH_ENVELOPES).map(x => x.id)
      list = (await this.envelopes.getMany(ids)).filter((b): b is Uint8Array => b !== undefined)
    }
    for (const peer of peers) {
      for (const bytes of list) {
        if (!this.running) return
        try { await this.deliverer.deliver(peer, bytes) } catch (err) { this.log('channel hand-over to %s failed: %s', peer.toString(), (err as Error).message); break }
      }
    }
  }

  private readonly relayTopics = new Set<string>()

  // ---- channels ----------------------------------------------------------

  async joinPublic (name: string): Promise<ChannelState> {
    const n = normalizeChannelName(name)
    const s = await this.channels.join({ id: toHex(publicChannelId(n)), name: '#' + n, kind: 'public', keys: { 0: toHex(publicChannelKey(n)) }, epoch: 0 })
    if (this.online) this.gossip.join(channelTopic(publicChannelId(n)))
    this.syncOnJoin()
    return s
  }

  /** A channel was just joined: fetch what the neighbours hold (its history) now, not at the next periodic sync. */
  private syncOnJoin (): void {
    if (!this.online) return
    for (const p of this.libp2p.getPeers().slice(0, JOIN_SYNC_PEERS)) void this.syncWith(p)
  }

  async createPrivate (name: string): Promise<ChannelState> {
    const n = normalizeChannelName(name)
    const { id, key } = newPrivateChannel()
    const s = await this.channels.join({ id: toHex(id), name: n, kind: 'private', owner: this.mailroom.me, keys: { 0: toHex(key) }, epoch: 0 })
    if (this.online) this.gossip.join(channelTopic(id))
    return s
  }

  async joinPrivate (inv: { id: string, name: string, owner: string, key: string, epoch: number }): Promise<ChannelState> {
    const s = await this.channels.join({ id: inv.id, name: normalizeChannelName(inv.name), kind: 'private', owner: inv.owner, keys: { [inv.epoch]: inv.key }, epoch: inv.epoch })
    if (this.online) this.gossip.join(channelTopic(fromHex(inv.id)))
    await this.channelPost(inv.id, { type: ContentType.JOIN }).catch(() => {})
    this.syncOnJoin()
    return s
  }

  async leaveChannel (id: string): Promise<void> {
    await this.channels.leave(id)
    if (this.online) this.gossip.leave(channelTopic(fromHex(id)))
  }

  async channelPost (id: string, content: ContentInit, opts: { ttlMs?: number } = {}): Promise<string> {
    const p = await this.channels.post(id, content, opts)
    if (this.online) {
      void this.gossip.publish(channelTopic(fromHex(id)), p.bytes, fromHex(p.id))
      void this.pushChannel(id, [p.bytes])
    }
    return p.id
  }

  /** Owner: remove a member, rotate the key, and send the new key to every other member (sealed, via the outbox). */
  async channelRemove (id: string, memberHex: string): Promise<{ epoch: number, notified: number }> {
    const { key } = newPrivateChannel()
    const r = await this.channels.remove(id, memberHex, key)
    if (this.online) {
      void this.gossip.publish(channelTopic(fromHex(id)), r.control, r.controlId)
      void this.pushChannel(id, [r.control])
    }
    for (const m of r.recipients) {
      await this.mailroom.send(fromHex(m), { type: ContentType.CHANNEL_KEY, ref: fromHex(id), data: key, chunk: r.epoch })
    }
    if (this.online) this.schedulePump(0)
    return { epoch: r.epoch, notified: r.recipients.length }
  }

  async channelLifetime (id: string, ms: number): Promise<void> {
    const r = await this.channels.setLifetime(id, ms)
    if (this.online) {
      void this.gossip.publish(channelTopic(fromHex(id)), r.control, r.controlId)
      void this.pushChannel(id, [r.control])
    }
  }

  private topicOf (v: ValidEnvelope): string {
    return v.body.kind === Kind.CHANNEL || v.body.kind === Kind.CONTROL ? channelTopic(v.body.to) : MAIL_TOPIC
  }

  private count (code: string): void {
    this.received[code] = (this.received[code] ?? 0) + 1
  }

  private async onDeliver (bytes: Uint8Array, peer: PeerId): Promise<DeliverResponse> {
    const r = await this.receiveBytes(bytes, 'deliver', peer.toString())
    if (r.code === 'invalid') return { status: DeliverResponse.Status.REJECTED, ack: new Uint8Array(0), reason: r.reason ?? 'invalid' }
    if (r.ack !== undefined) return { status: DeliverResponse.Status.ACKED, ack: r.ack as Uint8Array<ArrayBuffer>, reason: '' }
    return { status: DeliverResponse.Status.ACCEPTED, ack: new Uint8Array(0), reason: r.code }
  }

  private onPeerConnect (peer: PeerId): void {
    const id = peer.toString()
    this.emit('peer:join', { id })
    // One side starts the sync on contact: the one with the smaller id (both would duplicate work).
    if (this.id < id) void this.syncWith(peer)
    this.outbox.wake().then(() => this.schedulePump(0), err => this.log('outbox wake failed: %s', (err as Error).message))
    // Announce once the gossip mesh with the newcomer has formed (gossipsub grafts on its 1 s heartbeat).
    if (this.announceSoon === undefined && this.now() - this.lastAnnounce > ANNOUNCE_MIN_GAP_MS) {
      this.announceSoon = setTimeout(() => { this.announceSoon = undefined; void this.announce().catch(() => {}) }, 1500)
      this.announceSoon.unref()
    }
  }

  private announceSoon: NodeJS.Timeout | undefined
  private lastAnnounce = 0

  async syncWith (peer: PeerId): Promise<void> {
    try {
      await this.sync.run(peer)
    } catch (err) {
      this.log('sync with %s failed: %s', peer.toString(), (err as Error).message)
    }
  }

  private async syncRandomNeighbour (): Promise<void> {
    const peers = this.libp2p.getPeers()
    if (peers.length === 0) return
    const r = (this.init.random ?? Math.random)()
    await this.syncWith(peers[Math.floor(r * peers.length)])
  }

  async announce (): Promise<void> {
    if (!this.running) return
    const a = makeAnnounce(this.identity.seed, this.identity.publicKey, {
      name: this.name, addrs: this.addrs(), roles: this.init.roles ?? ['relay']
    }, this.now())
    this.lastAnnounce = this.now()
    await this.gossip.publish(ANNOUNCE_TOPIC, a.bytes, a.id)
  }

  // ---- sending ---------------------------------------------------------

  /** Queue a direct message; it leaves at once when a path exists. Returns the envelope id (hex). */
  async send (to: string | Uint8Array, content: ContentInit | string, opts: SendOptions = {}): Promise<string> {
    const key = typeof to === 'string' ? publicKeyFromId(to) : to
    const c: ContentInit = typeof content === 'string' ? { type: ContentType.TEXT, text: content } : content
    const { id, signed } = await this.mailroom.send(key, c, opts)
    if (this.online) this.freshBytes.set(id, signed.bytes)
    if (this.online) this.schedulePump(0)
    return id
  }

  private schedulePump (delayMs: number): void {
    if (!this.running) return
    if (this.pumpTimer !== undefined) clearTimeout(this.pumpTimer)
    const run = (): void => { this.pump().catch(err => this.log('outbox pump failed: %s', (err as Error).message)) }
    if (delayMs <= 0) {
      // setImmediate, not setTimeout(0): the first send should not wait a timer tick.
      this.pumpTimer = undefined
      setImmediate(run)
      return
    }
    this.pumpTimer = setTimeout(run, delayMs)
    this.pumpTimer.unref()
  }

  /** Send every due outbox entry in priority order; then sleep until the next is due. */
  async pump (): Promise<void> {
    if (this.pumping) { this.pumpAgain = true; return }
    this.pumping = true
    try {
      do {
        this.pumpAgain = false
        for (const e of this.outbox.stale()) await this.dropOutbox(e.id)
        for (const e of this.outbox.due()) {
          if (!this.running) return
          await this.attempt(e.id)
        }
      } while (this.pumpAgain)
    } finally {
      this.pumping = false
    }
    const next = this.outbox.nextDue()
    if (next !== undefined) this.schedulePump(next - this.now())
  }

  /** Discard an outbox entry (user's `outbox clear`): it will not be sent again. */
  async discard (id: string): Promise<void> {
    await this.dropOutbox(id)
    const e = this.history.get(id)
    if (e !== undefined && e.status === 'queued') await this.history.remove(id)
  }

  /** Addresses worth putting in an invite: not loopback, not unspecified; onion ones first. */
  shareableAddrs (): string[] {
    const all = this.addrs()
    const good = all.filter(a => !a.includes('/127.') && !a.includes('/ip6/::1/') && !a.includes('/0.0.0.0/') && !a.startsWith('/memory/'))
    return (good.length > 0 ? good : all).sort((a, b) => Number(b.includes('/onion3/')) - Number(a.includes('/onion3/')))
  }

  private async dropOutbox (id: string): Promise<void> {
    await this.outbox.remove(id)
    await this.envelopes.remove(id)
    this.emit('outbox', { id, change: 'removed' })
  }

  /** One attempt: hand it to the recipient directly if reachable, and gossip it so relays hold it. */
  private async attempt (id: string): Promise<void> {
    const cached = this.freshBytes.get(id)
    this.freshBytes.delete(id)
    const bytes = cached ?? await this.envelopes.get(id)
    const meta = this.envelopes.getMeta(id)
    if (bytes === undefined || meta === undefined) { await this.outbox.remove(id); return }
    let sent = false
    if (meta.kind === Kind.DIRECT) {
      const peer = peerIdFromString(idFromPublicKey(fromHex(meta.to)))
      if (await this.reach(peer)) {
        try {
          const answer = await this.deliverer.deliver(peer, bytes)
          sent = true
          if (answer.status === DeliverResponse.Status.ACKED) await this.receiveBytes(answer.ack, 'deliver', peer.toString())
        } catch (err) {
          this.log('direct delivery of %s failed: %s', id.slice(0, 12), (err as Error).message)
        }
      }
    }
    if (!this.outbox.has(id)) return
    const topic = meta.kind === Kind.DIRECT ? MAIL_TOPIC : channelTopic(fromHex(meta.to))
    const n = await this.gossip.publish(topic, bytes, fromHex(id))
    sent = sent || n > 0
    const [, e] = await Promise.all([this.outbox.attempted(id, sent), sent ? this.history.advance(id, 'sent') : undefined])
    if (e !== undefined) this.emit('updated', e)
  }

  /** Bytes of envelopes just written by send(), so the first attempt does not read them back. */
  private readonly freshBytes = new Map<string, Uint8Array>()

  /** Connected already, or found (DHT) and dialled within a short time. */
  private async reach (peer: PeerId): Promise<boolean> {
    if (this.libp2p.getConnections(peer).length > 0) return true
    if (this.libp2p.getPeers().length === 0) return false
    try {
      const signal = AbortSignal.timeout(5000)
      const info = this.libp2p.services.dht !== undefined ? await this.libp2p.peerRouting.findPeer(peer, { signal }) : undefined
      if (info === undefined) return false
      await this.libp2p.dial(info.multiaddrs.length > 0 ? info.multiaddrs : peer, { signal })
      return true
    } catch {
      return false
    }
  }

  // ---- queries ---------------------------------------------------------

  peers (): PeerInfo[] {
    const connected = new Set(this.online ? this.libp2p.getPeers().map(p => p.toString()) : [])
    const out = new Map<string, PeerInfo>()
    for (const e of this.directory.list()) {
      out.set(e.id, { id: e.id, name: e.name, addrs: e.addrs, connected: connected.has(e.id), key: e.key })
    }
    for (const id of connected) {
      if (out.has(id)) continue
      const addrs = this.libp2p.getConnections(peerIdFromString(id)).map(c => c.remoteAddr.toString())
      let key = ''
      try { key = toHex(publicKeyFromId(id)) } catch {}
      out.set(id, { id, name: '', addrs, connected: true, key })
    }
    return [...out.values()].sort((a, b) => Number(b.connected) - Number(a.connected) || a.id.localeCompare(b.id))
  }

  directoryEntry (id: string): DirectoryEntry | undefined { return this.directory.get(id) }

  status (): NodeStatus {
    const s = this.envelopes.stats()
    return {
      id: this.id,
      name: this.name,
      addrs: this.addrs(),
      peers: this.online ? this.libp2p.getPeers().length : 0,
      custody: s.custody,
      outbox: { count: this.outbox.size },
      store: { count: s.count, bytes: s.bytes, tombstones: s.tombstones, evicted: s.evicted },
      gossip: this.gossip?.stats ?? { valid: 0, duplicate: 0, invalid: {}, ignored: {} },
      received: { ...this.received },
      profile: this.profileName
    }
  }

  async dial (addr: string): Promise<string> {
    const conn = await this.libp2p.dial(multiaddr(addr), { signal: AbortSignal.timeout(15000) })
    return conn.remotePeer.toString()
  }

  // ---- blocklist ---------------------------------------------------------

  async block (keyHex: string): Promise<void> {
    await this.stores.blocklist.put(keyHex, { at: this.now() })
    this.blocked.add(keyHex)
  }

  async unblock (keyHex: string): Promise<void> {
    await this.stores.blocklist.del(keyHex)
    this.blocked.delete(keyHex)
  }

  isBlocked (keyHex: string): boolean { return this.blocked.has(keyHex) }
}
