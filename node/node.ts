/**
 * FunkpostNode: one running node. It opens the store (local parts: custody,
 * outbox, history, channels, mailroom, blocklist) and, unless offline, the
 * network (libp2p with gossip, direct delivery and sync, and the components
 * that drive them: inbound, outbox pump, announcer, sync scheduler, channel
 * relay, keeper). Components start in that order and stop in reverse; a
 * stopped node leaves no timers, stream handlers or open database.
 */
import { EventEmitter } from 'node:events'
import path from 'node:path'
import fs from 'node:fs'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { PeerId } from '@libp2p/interface'
import { toHex, fromHex } from '../mesh/envelope.js'
import { GossipRouter } from '../mesh/gossip.js'
import { Penalties } from '../mesh/penalties.js'
import { DeliverProtocol } from '../mesh/deliver.js'
import { Directory, type DirectoryEntry } from '../mesh/announce.js'
import { publicKeyFromId } from '../mesh/ids.js'
import { ContentType, type ContentInit } from '../mesh/content.js'
import { publicChannelId, publicChannelKey, normalizeChannelName, newPrivateChannel } from '../mesh/channel.js'
import { openStores, type Stores } from '../store-forward/db.js'
import { EnvelopeStore } from '../store-forward/envelopes.js'
import { Outbox } from '../store-forward/outbox.js'
import { History } from '../store-forward/history.js'
import { Mailroom, type SendOptions, type Via } from '../store-forward/mailroom.js'
import { SWEEP_INTERVAL_MS } from '../store-forward/constants.js'
import { SyncProtocol } from '../store-forward/sync.js'
import { ChannelRoom, type ChannelState } from '../store-forward/channels.js'
import { buildLibp2p, type FunkpostLibp2p } from './libp2p.js'
import { libp2pKey, type Identity } from './identity.js'
import { PROFILES, DEFAULT_PROFILE, type ProfileName, type Profile } from './profiles.js'
import { Keeper } from './keeper.js'
import { Blocklist } from './blocklist.js'
import { Inbound, type InboundResult } from './inbound.js'
import { OutboxPump } from './outbox-pump.js'
import { Announcer, type DuplicateIdentity } from './announcer.js'
import { SyncScheduler } from './sync-scheduler.js'
import { ChannelRelay } from './channel-relay.js'
import { Timers } from './timers.js'
import { Handoff } from './mailbox.js'
import { NotStartedError } from './errors.js'
import { MAILBOX_REPLICAS } from '../mesh/mailbox.js'
import { DHT_PROTOCOL } from '../mesh/constants.js'
import type { NodeEvents } from './events.js'
import { logger, componentLogger, type Log } from './log.js'

export type { NodeEvents }

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
  /**
   * How DMs travel: 'flood' (gossip to every node, sync with every
   * neighbour: radio links without IP routing, Tor islands), 'routed'
   * (direct or via the recipient's mailbox in the DHT: an IP-routed mesh),
   * or 'auto': routed when the DHT is on, the node is no Tor bridge, and the
   * DHT knows more than MAILBOX_REPLICAS peers. @default 'auto'
   */
  routing?: RoutingMode
  /** Routed mode: how often a node makes sure it is connected to its own mailbox, ms. @default MAILBOX_FETCH_INTERVAL_MS */
  mailboxFetchMs?: number
}

export type RoutingMode = 'auto' | 'flood' | 'routed'

/** How often 'auto' routing looks again at how many DHT peers it knows, ms. */
const ROUTING_CHECK_MS = 30_000

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
  /** Sync sessions and what they moved (online only). */
  sync?: SyncProtocol['stats']
  /** Set when another node announced this node's identity. */
  duplicate?: DuplicateIdentity
}

/** What the node has once its store is open. */
interface Local {
  stores: Stores
  envelopes: EnvelopeStore
  outbox: Outbox
  history: History
  mailroom: Mailroom
  channels: ChannelRoom
  blocklist: Blocklist
}

/** What the node has once it is on the network. */
interface Network {
  libp2p: FunkpostLibp2p
  gossip: GossipRouter
  deliverer: DeliverProtocol
  sync: SyncProtocol
  inbound: Inbound
  pump: OutboxPump
  announcer: Announcer
  scheduler: SyncScheduler
  relay: ChannelRelay
  keeper: Keeper
  handoff: Handoff
}

export class FunkpostNode extends EventEmitter<NodeEvents> {
  readonly identity: Identity
  readonly profileName: ProfileName
  readonly profile: Profile
  readonly directory: Directory
  private readonly now: () => number
  private readonly log: Log
  private readonly timers: Timers
  private local: Local | undefined
  private net: Network | undefined
  private running = false
  private nodeName: string
  /** 'auto' routing's last verdict (refreshed every ROUTING_CHECK_MS). */
  private autoRouted = false

  constructor (readonly init: FunkpostNodeInit) {
    super()
    this.identity = init.identity
    this.profileName = init.profile ?? DEFAULT_PROFILE
    const base = PROFILES[this.profileName]
    this.profile = init.quotaBytes !== undefined ? { ...base, custodyBytes: init.quotaBytes } : base
    this.now = init.now ?? Date.now
    this.directory = new Directory(this.profile.directoryMax, this.now)
    this.log = logger('node', this.tag)
    this.timers = new Timers(this.log)
    this.nodeName = init.name ?? ''
  }

  /** The end of the id: names this node's loggers when several nodes share a process. */
  private get tag (): string { return this.identity.id.slice(-6) }

  get id (): string { return this.identity.id }
  get name (): string { return this.nodeName }
  get isRunning (): boolean { return this.running }
  get online (): boolean { return this.net !== undefined && this.running }

  private need<T> (part: T | undefined, what: string): T {
    if (part === undefined) throw new NotStartedError(`the node has no ${what}: it is not started${what === 'network' ? ' on the network' : ''}`)
    return part
  }

  get stores (): Stores { return this.need(this.local, 'store').stores }
  get envelopes (): EnvelopeStore { return this.need(this.local, 'store').envelopes }
  get outbox (): Outbox { return this.need(this.local, 'store').outbox }
  get history (): History { return this.need(this.local, 'store').history }
  get mailroom (): Mailroom { return this.need(this.local, 'store').mailroom }
  get channels (): ChannelRoom { return this.need(this.local, 'store').channels }
  get libp2p (): FunkpostLibp2p { return this.need(this.net, 'network').libp2p }
  get gossip (): GossipRouter { return this.need(this.net, 'network').gossip }
  get deliverer (): DeliverProtocol { return this.need(this.net, 'network').deliverer }
  get sync (): SyncProtocol { return this.need(this.net, 'network').sync }

  /**
   * Open the store and, unless `network` is false, the network. An offline
   * node (network: false) serves local commands — queue mail, contacts,
   * history — without listening anywhere; its mail leaves on the next start.
   */
  async start (opts: { network?: boolean } = {}): Promise<void> {
    fs.mkdirSync(this.init.home, { recursive: true, mode: 0o700 })
    try {
      this.local = await this.openLocal()
      if (opts.network !== false) await this.startNetwork(this.local)
    } catch (err) {
      await this.stop().catch(e => this.log.error('stop after a failed start failed: %e', e))
      throw err
    }
  }

  private async openLocal (): Promise<Local> {
    const now = this.now
    const stores = await openStores(path.join(this.init.home, 'db'))
    try {
      const envelopes = await EnvelopeStore.open(stores, this.profile, now)
      const outbox = await Outbox.open(stores, { now, random: this.init.random, baseMs: this.init.backoffBaseMs, lowStaleMs: this.init.lowStaleMs })
      const history = await History.open(stores)
      const blocklist = await Blocklist.open(stores.blocklist, now)
      const channels = await ChannelRoom.open({ stores, envelopes, history, identity: this.identity, now })
      const mailroom = new Mailroom({
        identity: this.identity, stores, envelopes, outbox, history, now, channels, isBlocked: (k) => blocklist.has(k),
        outboxMax: this.profile.outboxMax,
        routeAcks: () => this.routed()
      })
      mailroom.on('message', e => this.emit('message', e))
      mailroom.on('delivered', e => this.emit('delivered', e))
      mailroom.on('updated', e => this.emit('updated', e))
      mailroom.on('typing', e => this.emit('typing', e))
      mailroom.on('outbox', e => this.emit('outbox', e))
      channels.on('post', e => this.emit('message', e))
      channels.on('updated', e => this.emit('updated', e))
      return { stores, envelopes, outbox, history, mailroom, channels, blocklist }
    } catch (err) {
      await stores.db.close().catch(e => this.log.error('closing the store failed: %e', e))
      throw err
    }
  }

  private async startNetwork (local: Local): Promise<void> {
    const now = this.now
    const tag = this.tag
    const log = (component: string): Log => logger(`node:${component}`, tag)
    const penalties = new Penalties({ now })
    const libp2p = await buildLibp2p({
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
      logger: componentLogger(tag),
      penalties,
      // Dial what mDNS and bootstrap find; not every peer the DHT or an inbound connection makes known.
      onDiscovered: (p) => keeper.discovered(p.id, p.multiaddrs)
    })
    let inbound: Inbound | undefined // eslint-disable-line prefer-const -- assigned below: the gossip router and the deliver handler refer to it
    const gossip = new GossipRouter({
      pubsub: libp2p.services.pubsub,
      onEnvelope: (v, bytes, source) => inbound?.fromGossip(v, bytes, source),
      isBlocked: (k) => local.blocklist.has(toHex(k)),
      isKnown: (id) => this.knows(toHex(id)),
      penalties,
      now,
      log: logger('mesh:gossip', tag)
    })
    const deliverer = new DeliverProtocol({ host: libp2p, onDeliver: async (bytes, peer) => this.need(inbound, 'network').onDeliver(bytes, peer) })
    const sync = new SyncProtocol({
      host: libp2p,
      envelopes: local.envelopes,
      onEnvelope: async (bytes, peer) => { await this.need(inbound, 'network').receiveBytes(bytes, 'sync', peer.toString()) },
      withhold: (id) => local.outbox.isStale(id),
      now
    })
    const keeper = new Keeper(libp2p, [...(this.init.bootstrap ?? []), ...(this.init.bridges ?? [])], log('keeper'))
    const announcer = new Announcer({
      id: this.id,
      seed: this.identity.seed,
      publicKey: this.identity.publicKey,
      gossip,
      directory: this.directory,
      info: () => ({ name: this.name, addrs: this.addrs(), roles: this.init.roles ?? ['relay'] }),
      now,
      log: log('announcer'),
      intervalMs: this.init.announceIntervalMs
    })
    const pump = new OutboxPump({
      libp2p, gossip, deliverer, envelopes: local.envelopes, outbox: local.outbox, history: local.history, events: this, now,
      log: log('outbox'),
      receive: async (bytes, peer) => this.need(inbound, 'network').receiveBytes(bytes, 'deliver', peer),
      routed: () => this.routed()
    })
    const handoff = new Handoff({
      libp2p, deliverer, envelopes: local.envelopes, log: log('mailbox'),
      receive: async (bytes, peer) => this.need(inbound, 'network').receiveBytes(bytes, 'deliver', peer),
      routed: () => this.routed(),
      fetchIntervalMs: this.init.mailboxFetchMs
    })
    const relay = new ChannelRelay({ libp2p, gossip, deliverer, envelopes: local.envelopes, channels: local.channels, log: log('channels') })
    const scheduler = new SyncScheduler({ id: this.id, libp2p, sync, log: log('sync'), random: this.init.random, intervalMs: this.init.syncIntervalMs, periodic: () => !this.routed() })
    inbound = new Inbound({
      mailroom: local.mailroom,
      envelopes: local.envelopes,
      blocklist: local.blocklist,
      gossip,
      announcer,
      events: this,
      now,
      log: log('inbound'),
      onFreshAck: () => pump.schedule(0),
      onChannelEnvelope: (id) => relay.seen(id),
      routed: () => this.routed(),
      onHeld: (to) => handoff.held(to),
      onAckAnswered: (ackId) => { void pump.drop(ackId, { keepEnvelope: true }) }
    })
    this.net = { libp2p, gossip, deliverer, sync, inbound, pump, announcer, scheduler, relay, keeper, handoff }

    libp2p.addEventListener('peer:connect', (evt) => this.onPeerConnect(evt.detail))
    libp2p.addEventListener('peer:disconnect', (evt) => { this.emit('peer:leave', { id: evt.detail.toString() }) })

    await libp2p.start()
    gossip.start()
    relay.start()
    await deliverer.start()
    await sync.start()
    keeper.start()
    this.running = true
    announcer.start()
    scheduler.start()
    handoff.start()
    this.timers.every(this.init.sweepIntervalMs ?? SWEEP_INTERVAL_MS, 'sweep', async () => this.sweep(local))
    if ((this.init.routing ?? 'auto') === 'auto') this.timers.every(ROUTING_CHECK_MS, 'routing check', async () => this.checkRouting())
    pump.start()
    this.log('listening on %s', this.addrs().join(' '))
  }

  /** Expired envelopes, tombstones and disappearing messages go; stale LOW outbox entries are dropped. */
  private async sweep (local: Local): Promise<void> {
    const gone = await local.envelopes.sweep()
    const expired = await local.mailroom.expireHistory()
    const acks = await local.mailroom.expireAcks()
    for (const e of local.outbox.stale()) await this.dropOutbox(e.id)
    if (gone + expired + acks > 0) this.log('swept %d expired envelopes, %d disappearing messages, %d receipt rows', gone, expired, acks)
  }

  async stop (): Promise<void> {
    this.running = false
    this.timers.clear()
    const net = this.net
    if (net !== undefined) {
      net.handoff.stop()
      net.pump.stop()
      net.scheduler.stop()
      net.announcer.stop()
      net.keeper.stop()
      net.relay.stop()
      // Stream handlers go while libp2p still runs (unhandle needs its registrar).
      await net.sync.stop().catch(err => this.log('sync handler not removed: %e', err))
      await net.deliverer.stop().catch(err => this.log('deliver handler not removed: %e', err))
      net.gossip.stop()
      await Promise.resolve(net.libp2p.stop()).catch(err => this.log.error('libp2p did not stop cleanly: %e', err))
    }
    await this.local?.stores.db.close().catch(err => this.log.error('closing the store failed: %e', err))
  }

  addrs (): string[] {
    if (this.net === undefined) return []
    return this.net.libp2p.getMultiaddrs().map(a => a.toString())
  }

  private knows (id: string): boolean {
    const l = this.need(this.local, 'store')
    return l.envelopes.has(id) || l.history.has(id) || l.envelopes.isTombstoned(id)
  }

  /** Bytes from any non-gossip path: validate, then accept. */
  async receiveBytes (bytes: Uint8Array, via: Via, source?: string): Promise<InboundResult> {
    return this.need(this.net, 'network').inbound.receiveBytes(bytes, via, source)
  }

  /** Whether DMs travel routed (direct or by mailbox) rather than by gossip floods. */
  routed (): boolean {
    const mode = this.init.routing ?? 'auto'
    if (this.net?.libp2p.services.dht === undefined) return false
    return mode === 'routed' || (mode === 'auto' && this.autoRouted)
  }

  /** 'auto': routed once the DHT knows enough peers for a mailbox, unless this node bridges Tor islands. */
  private async checkRouting (): Promise<void> {
    const libp2p = this.net?.libp2p
    if (libp2p === undefined || this.init.onlyTor === true || (this.init.bridges?.length ?? 0) > 0) { this.autoRouted = false; return }
    const known = await libp2p.peerStore.all({ filters: [(p) => p.protocols.includes(DHT_PROTOCOL)], limit: MAILBOX_REPLICAS + 1 })
    const now = known.length > MAILBOX_REPLICAS
    if (now !== this.autoRouted) this.log.info('routing: %s (%d DHT peers known)', now ? 'routed' : 'flood', known.length)
    this.autoRouted = now
  }

  private onPeerConnect (peer: PeerId): void {
    const net = this.net
    if (net === undefined) return
    this.emit('peer:join', { id: peer.toString() })
    if ((this.init.routing ?? 'auto') === 'auto') void this.checkRouting().catch(err => this.log('routing check failed: %e', err))
    net.handoff.peerConnected(peer)
    // A routed mesh does not copy every neighbour's custody: mail moves by streams and mailboxes.
    if (!this.routed()) net.scheduler.peerConnected(peer)
    net.pump.wake()
    net.announcer.peerConnected()
  }

  async syncWith (peer: PeerId): Promise<void> {
    await this.need(this.net, 'network').scheduler.syncWith(peer)
  }

  async announce (): Promise<void> {
    await this.net?.announcer.announce()
  }

  /** Change the announced name (re-announced at once when online). */
  async rename (name: string): Promise<void> {
    this.nodeName = name
    await this.announce()
  }

  // ---- channels ----------------------------------------------------------

  async joinPublic (name: string): Promise<ChannelState> {
    const n = normalizeChannelName(name)
    const id = toHex(publicChannelId(n))
    const s = await this.channels.join({ id, name: '#' + n, kind: 'public', keys: { 0: toHex(publicChannelKey(n)) }, epoch: 0 })
    this.joinedOnNetwork(id)
    return s
  }

  async createPrivate (name: string): Promise<ChannelState> {
    const n = normalizeChannelName(name)
    const { id, key } = newPrivateChannel()
    const s = await this.channels.join({ id: toHex(id), name: n, kind: 'private', owner: this.mailroom.me, keys: { 0: toHex(key) }, epoch: 0 })
    if (this.online) this.need(this.net, 'network').relay.join(toHex(id))
    return s
  }

  async joinPrivate (inv: { id: string, name: string, owner: string, key: string, epoch: number }): Promise<ChannelState> {
    const s = await this.channels.join({ id: inv.id, name: normalizeChannelName(inv.name), kind: 'private', owner: inv.owner, keys: { [inv.epoch]: inv.key }, epoch: inv.epoch })
    if (this.online) this.need(this.net, 'network').relay.join(inv.id)
    await this.channelPost(inv.id, { type: ContentType.JOIN }).catch(err => this.log('JOIN post to %s failed: %e', inv.name, err))
    if (this.online) this.need(this.net, 'network').scheduler.joined()
    return s
  }

  private joinedOnNetwork (id: string): void {
    if (!this.online) return
    const net = this.need(this.net, 'network')
    net.relay.join(id)
    net.scheduler.joined()
  }

  async leaveChannel (id: string): Promise<void> {
    await this.channels.leave(id)
    if (this.online) this.need(this.net, 'network').relay.leave(id)
  }

  async channelPost (id: string, content: ContentInit, opts: { ttlMs?: number } = {}): Promise<string> {
    const p = await this.channels.post(id, content, opts)
    if (this.online) this.need(this.net, 'network').relay.publish(id, p.bytes, fromHex(p.id))
    return p.id
  }

  /** Owner: remove a member, rotate the key, and send the new key to every other member (sealed, via the outbox). */
  async channelRemove (id: string, memberHex: string): Promise<{ epoch: number, notified: number }> {
    const { key } = newPrivateChannel()
    const r = await this.channels.remove(id, memberHex, key)
    if (this.online) this.need(this.net, 'network').relay.publish(id, r.control, r.controlId)
    for (const m of r.recipients) {
      await this.mailroom.send(fromHex(m), { type: ContentType.CHANNEL_KEY, ref: fromHex(id), data: key, chunk: r.epoch })
    }
    this.net?.pump.schedule(0)
    return { epoch: r.epoch, notified: r.recipients.length }
  }

  async channelLifetime (id: string, ms: number): Promise<void> {
    const r = await this.channels.setLifetime(id, ms)
    if (this.online) this.need(this.net, 'network').relay.publish(id, r.control, r.controlId)
  }

  // ---- sending ---------------------------------------------------------

  /** Queue a direct message; it leaves at once when a path exists. Returns the envelope id (hex). */
  async send (to: string | Uint8Array, content: ContentInit | string, opts: SendOptions = {}): Promise<string> {
    const key = typeof to === 'string' ? publicKeyFromId(to) : to
    const c: ContentInit = typeof content === 'string' ? { type: ContentType.TEXT, text: content } : content
    const { id, signed } = await this.mailroom.send(key, c, opts)
    if (this.online) {
      const pump = this.need(this.net, 'network').pump
      pump.remember(id, signed.bytes)
      pump.schedule(0)
    }
    return id
  }

  /** Send every due outbox entry now (`outbox flush`). */
  async pump (): Promise<void> {
    await this.need(this.net, 'network').pump.pump()
  }

  /** Discard an outbox entry (user's `outbox clear`): it will not be sent again. */
  async discard (id: string): Promise<void> {
    await this.dropOutbox(id)
    const e = this.history.get(id)
    if (e !== undefined && e.status === 'queued') await this.history.remove(id)
  }

  private async dropOutbox (id: string): Promise<void> {
    if (this.net !== undefined) { await this.net.pump.drop(id); return }
    await this.outbox.remove(id)
    await this.envelopes.remove(id)
    this.emit('outbox', { id, change: 'removed' })
  }

  /** Addresses worth putting in an invite: not loopback, not unspecified; onion ones first. */
  shareableAddrs (): string[] {
    const all = this.addrs()
    const good = all.filter(a => !a.includes('/127.') && !a.includes('/ip6/::1/') && !a.includes('/0.0.0.0/') && !a.startsWith('/memory/'))
    return (good.length > 0 ? good : all).sort((a, b) => Number(b.includes('/onion3/')) - Number(a.includes('/onion3/')))
  }

  // ---- queries ---------------------------------------------------------

  peers (): PeerInfo[] {
    const libp2p = this.net?.libp2p
    const connected = new Set(this.online && libp2p !== undefined ? libp2p.getPeers().map(p => p.toString()) : [])
    const out = new Map<string, PeerInfo>()
    for (const e of this.directory.list()) {
      out.set(e.id, { id: e.id, name: e.name, addrs: e.addrs, connected: connected.has(e.id), key: e.key })
    }
    for (const id of connected) {
      if (out.has(id) || libp2p === undefined) continue
      const addrs = libp2p.getConnections(peerIdFromString(id)).map(c => c.remoteAddr.toString())
      out.set(id, { id, name: '', addrs, connected: true, key: keyOf(id) })
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
      gossip: this.net?.gossip.stats ?? { valid: 0, duplicate: 0, invalid: {}, ignored: {} },
      received: { ...(this.net?.inbound.counts ?? {}) },
      profile: this.profileName,
      sync: this.net !== undefined ? { ...this.net.sync.stats } : undefined,
      duplicate: this.net?.announcer.duplicate
    }
  }

  async dial (addr: string): Promise<string> {
    const conn = await this.libp2p.dial(multiaddr(addr), { signal: AbortSignal.timeout(15000) })
    return conn.remotePeer.toString()
  }

  // ---- blocklist ---------------------------------------------------------

  async block (keyHex: string): Promise<void> { await this.need(this.local, 'store').blocklist.add(keyHex) }
  async unblock (keyHex: string): Promise<void> { await this.need(this.local, 'store').blocklist.remove(keyHex) }
  isBlocked (keyHex: string): boolean { return this.local?.blocklist.has(keyHex) ?? false }
}

/** The Ed25519 key (hex) of a funkpost id, or '' for a peer id of another key type. */
function keyOf (id: string): string {
  try {
    return toHex(publicKeyFromId(id))
  } catch {
    return '' // a libp2p peer that is not a funkpost identity (another key type): listed without a key
  }
}
