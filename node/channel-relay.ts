/**
 * Channels on the network: gossip topics of joined channels and of channels
 * this node relays without having joined them, and the hand-over of channel
 * envelopes to connected peers that do not subscribe to a channel's topic
 * (gossip skips them): a relay among them then joins the topic and does the
 * same for its own neighbours, and later posts travel by gossip.
 */
import { fromHex, Kind } from '../mesh/envelope.js'
import { channelTopic, type GossipRouter } from '../mesh/gossip.js'
import type { DeliverProtocol } from '../mesh/deliver.js'
import type { EnvelopeStore } from '../store-forward/envelopes.js'
import type { ChannelRoom } from '../store-forward/channels.js'
import type { FunkpostLibp2p } from './libp2p.js'
import type { Log } from './log.js'

/** Channels a relay carries without having joined them (gossip topics), at most. */
const RELAY_TOPICS_MAX = 64
/** Channel envelopes are handed directly to at most this many connected peers that do not subscribe to the channel's topic… */
const CHANNEL_PUSH_PEERS = 8
/** …and a relay that starts carrying a channel hands on at most this many of the newest envelopes it holds for it. */
const CHANNEL_PUSH_ENVELOPES = 16

export interface ChannelRelayComponents {
  libp2p: FunkpostLibp2p
  gossip: GossipRouter
  deliverer: DeliverProtocol
  envelopes: EnvelopeStore
  channels: ChannelRoom
  log: Log
}

export class ChannelRelay {
  private readonly relayed = new Set<string>()
  private running = false

  constructor (private readonly c: ChannelRelayComponents) {}

  start (): void {
    this.running = true
    for (const ch of this.c.channels.list()) this.c.gossip.join(channelTopic(fromHex(ch.id)))
  }

  stop (): void {
    this.running = false
    this.relayed.clear()
  }

  join (idHex: string): void { this.c.gossip.join(channelTopic(fromHex(idHex))) }

  leave (idHex: string): void {
    if (!this.relayed.has(idHex)) this.c.gossip.leave(channelTopic(fromHex(idHex)))
  }

  /** Publish a new envelope of a channel (own post or owner action) and hand it to unsubscribed neighbours. */
  publish (idHex: string, bytes: Uint8Array, id: Uint8Array): void {
    void this.c.gossip.publish(channelTopic(fromHex(idHex)), bytes, id)
    void this.push(idHex, [bytes])
  }

  /** A channel envelope new here: relays carry channels they have not joined (at most RELAY_TOPICS_MAX of them). */
  seen (idHex: string): void {
    if (!this.running || this.c.channels.has(idHex) || this.relayed.has(idHex)) return
    if (this.relayed.size >= RELAY_TOPICS_MAX) return
    this.relayed.add(idHex)
    this.c.log('relaying channel %s', idHex.slice(0, 12))
    this.c.gossip.join(channelTopic(fromHex(idHex)))
    void this.push(idHex)
  }

  /** Hand `list` (or the newest envelopes held for the channel) to connected peers not subscribed to its topic. */
  private async push (idHex: string, list?: Uint8Array[]): Promise<void> {
    if (!this.running) return
    const libp2p = this.c.libp2p
    const subscribed = new Set(libp2p.services.pubsub.getSubscribers(channelTopic(fromHex(idHex))).map(p => p.toString()))
    const peers = libp2p.getPeers().filter(p => !subscribed.has(p.toString())).slice(0, CHANNEL_PUSH_PEERS)
    if (peers.length === 0) return
    if (list === undefined) {
      const ids = [...this.c.envelopes.items()].filter(x => x.meta.to === idHex && (x.meta.kind === Kind.CHANNEL || x.meta.kind === Kind.CONTROL))
        .sort((a, b) => b.ts - a.ts).slice(0, CHANNEL_PUSH_ENVELOPES).map(x => x.id)
      list = (await this.c.envelopes.getMany(ids)).filter((b): b is Uint8Array => b !== undefined)
    }
    for (const peer of peers) {
      for (const bytes of list) {
        if (!this.running) return
        try {
          await this.c.deliverer.deliver(peer, bytes)
        } catch (err) {
          this.c.log('channel hand-over to %p failed: %e', peer, err)
          break
        }
      }
    }
  }
}
