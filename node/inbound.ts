/**
 * Inbound: what the node does with an envelope that arrived, whichever path
 * brought it. Gossip hands over envelopes its validator accepted; deliver
 * and sync hand over raw bytes, validated here with the same rules. Valid
 * envelopes go to the announcer (ANNOUNCE) or the mailroom (everything
 * else); an ACK this node makes is published so every holder learns it was
 * delivered; an envelope new here that did not come by gossip is gossiped on
 * (hops + 1) so a healed island converges at gossip speed.
 */
import type { EventEmitter } from 'node:events'
import type { PeerId } from '@libp2p/interface'
import { validateEnvelope, toHex, Kind, type ValidEnvelope } from '../mesh/envelope.js'
import { channelTopic, type GossipRouter } from '../mesh/gossip.js'
import { DeliverResponse } from '../mesh/deliver.js'
import { MAIL_TOPIC, MAX_HOPS } from '../mesh/constants.js'
import { idFromPublicKey } from '../mesh/ids.js'
import type { EnvelopeStore } from '../store-forward/envelopes.js'
import type { Mailroom, Via } from '../store-forward/mailroom.js'
import type { Blocklist } from './blocklist.js'
import type { Announcer } from './announcer.js'
import type { NodeEvents } from './events.js'
import type { Log } from './log.js'

export interface InboundComponents {
  mailroom: Mailroom
  envelopes: EnvelopeStore
  blocklist: Blocklist
  gossip: GossipRouter
  announcer: Announcer
  events: EventEmitter<NodeEvents>
  now: () => number
  log: Log
  /** A fresh ACK arrived: the outbox may have changed. */
  onFreshAck: () => void
  /** A channel envelope new here: relays carry channels they have not joined. */
  onChannelEnvelope: (channelIdHex: string) => void
  /** Routed mode: DMs and ACKs travel by deliver streams to recipients and mailboxes, not by floods. */
  routed: () => boolean
  /** Mail newly held here for `toHex` (routed mode: hand it over if that peer is connected). */
  onHeld: (toHex: string) => void
  /** An ACK this node made went back in a deliver answer to the DM's author: it need not be routed any more. */
  onAckAnswered: (ackIdHex: string) => void
}

export interface InboundResult { code: string, ack?: Uint8Array, reason?: string }

export class Inbound {
  /** Envelopes handled, by outcome (`delivered`, `held`, `invalid:<reason>`, …). */
  readonly counts: Record<string, number> = {}

  constructor (private readonly c: InboundComponents) {}

  /** From gossip: already validated by the gossip router (not awaited there). */
  fromGossip (v: ValidEnvelope, bytes: Uint8Array, source: string): void {
    // A failure (the store closed by stop() mid-flight) is logged, never an unhandled rejection.
    this.accept(v, bytes, 'gossip', source).catch(err => this.c.log('gossip envelope from %s not taken: %e', source, err))
  }

  /** Bytes from any non-gossip path: validate, then accept. */
  async receiveBytes (bytes: Uint8Array, via: Via, source?: string): Promise<InboundResult> {
    const v = validateEnvelope(bytes, { now: this.c.now() })
    if (v.code === 'invalid') {
      this.count(`invalid:${v.reason}`)
      this.c.log('invalid envelope by %s from %s: %s', via, source ?? 'local', v.reason)
      return { code: 'invalid', reason: v.reason }
    }
    if (this.c.blocklist.has(toHex(v.body.from))) {
      await this.c.mailroom.refuse(v)
      return { code: 'blocked' }
    }
    return this.accept(v, bytes, via, source)
  }

  /** The deliver protocol's answer to bytes handed over by `peer`. */
  async onDeliver (bytes: Uint8Array, peer: PeerId): Promise<DeliverResponse> {
    const r = await this.receiveBytes(bytes, 'deliver', peer.toString())
    if (r.code === 'invalid') return { status: DeliverResponse.Status.REJECTED, ack: new Uint8Array(0), reason: r.reason ?? 'invalid' }
    if (r.ack !== undefined) return { status: DeliverResponse.Status.ACKED, ack: r.ack as Uint8Array<ArrayBuffer>, reason: '' }
    return { status: DeliverResponse.Status.ACCEPTED, ack: new Uint8Array(0), reason: r.code }
  }

  private async accept (v: ValidEnvelope, raw: Uint8Array, via: Via, source?: string): Promise<InboundResult> {
    if (v.body.kind === Kind.ANNOUNCE) {
      this.c.announcer.take(v)
      return { code: 'announce' }
    }
    const r = await this.c.mailroom.receive(v, raw, via)
    const id = toHex(v.id)
    this.count(r.code)
    this.c.log.trace('%s %s by %s from %s: %s', v.body.kind, id.slice(0, 12), via, source ?? 'local', r.code)
    this.c.events.emit('received', { id, via, code: r.code, kind: v.body.kind })
    const mail = v.body.kind === Kind.DIRECT || v.body.kind === Kind.ACK
    const routed = mail && this.c.routed()
    if (r.ack !== undefined && r.ackId !== undefined) {
      if (!routed) {
        // Everyone who holds the original should learn it was delivered.
        void this.c.gossip.publish(MAIL_TOPIC, r.ack, r.ackId)
      } else if (via === 'deliver' && source === idFromPublicKey(v.body.from)) {
        // The author handed it over itself: the deliver answer carries the ACK to it.
        this.c.onAckAnswered(toHex(r.ackId))
      }
    }
    if (routed && r.code === 'held') this.c.onHeld(toHex(v.body.to))
    // Flood mode passes on what came by sync or deliver; a routed mesh moves mail by streams, never by a flood.
    if (r.fresh && !routed && via !== 'gossip' && v.envelope.hops + 1 < MAX_HOPS) {
      const stored = r.stored ?? (this.c.envelopes.has(id) ? await this.c.envelopes.get(id) : undefined)
      if (stored !== undefined) void this.c.gossip.publish(topicOf(v), stored, v.id)
    }
    if (r.fresh && v.body.kind === Kind.ACK) this.c.onFreshAck()
    if (r.fresh && (v.body.kind === Kind.CHANNEL || v.body.kind === Kind.CONTROL)) this.c.onChannelEnvelope(toHex(v.body.to))
    return { code: r.code, ack: r.ack }
  }

  private count (code: string): void {
    this.counts[code] = (this.counts[code] ?? 0) + 1
  }
}

/** The gossip topic an envelope travels on. */
export function topicOf (v: ValidEnvelope): string {
  return v.body.kind === Kind.CHANNEL || v.body.kind === Kind.CONTROL ? channelTopic(v.body.to) : MAIL_TOPIC
}
