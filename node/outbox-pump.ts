/**
 * The outbox pump: sends due outbox entries in priority order, each
 * directly to its recipient when reachable (connected, or found through
 * the DHT and dialled) and always on gossip so relays take custody; then
 * sleeps until the next entry is due. A new peer makes everything due at
 * once; a fresh ACK or a new send runs it at once.
 */
import type { EventEmitter } from 'node:events'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import { fromHex, Kind } from '../mesh/envelope.js'
import { channelTopic, type GossipRouter } from '../mesh/gossip.js'
import { DeliverResponse, type DeliverProtocol } from '../mesh/deliver.js'
import { idFromPublicKey } from '../mesh/ids.js'
import { MAIL_TOPIC } from '../mesh/constants.js'
import { MAILBOX_REPLICAS } from '../mesh/mailbox.js'
import type { EnvelopeStore } from '../store-forward/envelopes.js'
import type { Outbox } from '../store-forward/outbox.js'
import type { History } from '../store-forward/history.js'
import type { FunkpostLibp2p } from './libp2p.js'
import type { NodeEvents } from './events.js'
import type { Log } from './log.js'
import { Timers } from './timers.js'
import { findMailbox } from './mailbox.js'

/** How long a direct attempt may spend finding the recipient in the DHT and dialling it, ms. */
const REACH_TIMEOUT_MS = 5000
/** Bytes of just-sent envelopes kept so their first attempt does not read them back; at most this many. */
const FRESH_MAX = 1000
/** Routed mode: after a DM is in MAILBOX_REPLICAS mailbox nodes, its author hands it over again only this often (the mailbox may have changed), ms. */
export const MAILBOX_RECHECK_MS = 30 * 60 * 1000

export interface OutboxPumpComponents {
  libp2p: FunkpostLibp2p
  gossip: GossipRouter
  deliverer: DeliverProtocol
  envelopes: EnvelopeStore
  outbox: Outbox
  history: History
  events: EventEmitter<NodeEvents>
  now: () => number
  log: Log
  /** Bytes that arrived from a path other than gossip (the ACK in a deliver answer). */
  receive: (bytes: Uint8Array, peer: string) => Promise<unknown>
  /** Routed mode: DMs and ACKs go to the recipient or its mailbox, gossip only when neither takes them. */
  routed: () => boolean
}

export class OutboxPump {
  private readonly timers: Timers
  private timer: NodeJS.Timeout | undefined
  private pumping = false
  private again = false
  private running = false
  private readonly fresh = new Map<string, Uint8Array>()

  constructor (private readonly c: OutboxPumpComponents) {
    this.timers = new Timers(c.log)
  }

  start (): void {
    this.running = true
    this.schedule(0)
  }

  stop (): void {
    this.running = false
    this.timers.clear()
    this.timer = undefined
    this.fresh.clear()
  }

  /** An envelope just written by send(): its first attempt uses these bytes. */
  remember (id: string, bytes: Uint8Array): void {
    if (this.fresh.size >= FRESH_MAX) this.fresh.delete(this.fresh.keys().next().value as string)
    this.fresh.set(id, bytes)
  }

  /** A peer connected: every entry is due at once. */
  wake (): void {
    this.c.outbox.wake().then(() => this.schedule(0), err => this.c.log.error('outbox wake failed: %e', err))
  }

  schedule (delayMs: number): void {
    if (!this.running) return
    this.timers.cancel(this.timer)
    this.timer = undefined
    const run = (): void => { this.pump().catch(err => this.c.log.error('outbox pump failed: %e', err)) }
    if (delayMs <= 0) {
      // setImmediate, not a 0 ms timer: the first send should not wait a timer tick.
      setImmediate(run)
      return
    }
    this.timer = this.timers.after(delayMs, run)
  }

  /** Send every due entry in priority order; then sleep until the next is due. */
  async pump (): Promise<void> {
    if (this.pumping) { this.again = true; return }
    this.pumping = true
    try {
      do {
        this.again = false
        for (const e of this.c.outbox.stale()) await this.drop(e.id)
        for (const e of this.c.outbox.due()) {
          if (!this.running) return
          await this.attempt(e.id)
        }
      } while (this.again)
    } finally {
      this.pumping = false
    }
    const next = this.c.outbox.nextDue()
    if (next !== undefined) this.schedule(next - this.c.now())
  }

  /** Remove an entry and (unless kept) the envelope it sends: a user's discard, a stale LOW, an ACK that reached its author. */
  async drop (id: string, opts: { keepEnvelope?: boolean } = {}): Promise<void> {
    if (!await this.c.outbox.remove(id)) return
    if (opts.keepEnvelope !== true) await this.c.envelopes.remove(id)
    this.fresh.delete(id)
    this.c.events.emit('outbox', { id, change: 'removed' })
  }

  /**
   * One attempt. Mail (a DM, or in routed mode an ACK) goes to its recipient
   * directly when reachable. In routed mode a DM the recipient did not take
   * goes to the recipient's mailbox, and gossip carries it only when fewer
   * than MAILBOX_REPLICAS mailbox nodes took it; an ACK leaves the outbox
   * once its author or the author's mailbox has it. Otherwise (flood mode,
   * channel posts) it is published on gossip so every relay holds it.
   */
  private async attempt (id: string): Promise<void> {
    const cached = this.fresh.get(id)
    this.fresh.delete(id)
    const bytes = cached ?? await this.c.envelopes.get(id)
    const meta = this.c.envelopes.getMeta(id)
    if (bytes === undefined || meta === undefined) { await this.c.outbox.remove(id); return }
    const mail = meta.kind === Kind.DIRECT || meta.kind === Kind.ACK
    const routed = mail && this.c.routed()
    let sent = false
    let recheckMs: number | undefined
    if (mail) {
      const peer = peerIdFromString(idFromPublicKey(fromHex(meta.to)))
      if (await this.reach(peer)) {
        try {
          const answer = await this.c.deliverer.deliver(peer, bytes)
          sent = answer.status !== DeliverResponse.Status.REJECTED
          if (answer.status === DeliverResponse.Status.ACKED) await this.c.receive(answer.ack, peer.toString())
          if (meta.kind === Kind.ACK && sent) { await this.handed(id); return }
        } catch (err) {
          this.c.log('direct delivery of %s failed: %e', id.slice(0, 12), err)
        }
      }
      if (!this.c.outbox.has(id)) return
      if (routed) {
        const holders = await this.toMailbox(meta.to, bytes)
        if (holders >= MAILBOX_REPLICAS) {
          if (meta.kind === Kind.ACK) { await this.handed(id); return }
          sent = true
          recheckMs = MAILBOX_RECHECK_MS
        }
      }
    }
    if (!this.c.outbox.has(id)) return
    if (recheckMs === undefined) {
      const topic = mail ? MAIL_TOPIC : channelTopic(fromHex(meta.to))
      const n = await this.c.gossip.publish(topic, bytes, fromHex(id))
      sent = sent || n > 0
    }
    const [, e] = await Promise.all([this.c.outbox.attempted(id, sent, recheckMs), sent ? this.c.history.advance(id, 'sent') : undefined])
    if (e !== undefined) this.c.events.emit('updated', e)
  }

  /** An ACK reached its author (or the author's mailbox): it leaves the outbox; the envelope stays held for repeats until it expires. */
  private async handed (id: string): Promise<void> {
    await this.drop(id, { keepEnvelope: true })
  }

  /** Hand mail to the recipient's mailbox nodes; returns how many took it. */
  private async toMailbox (toHex: string, bytes: Uint8Array): Promise<number> {
    let box: PeerId[]
    try {
      box = await findMailbox(this.c.libp2p, toHex)
    } catch (err) {
      this.c.log('mailbox lookup failed: %e', err)
      return 0
    }
    const answers = await Promise.all(box.map(async p => {
      try {
        const a = await this.c.deliverer.deliver(p, bytes)
        return a.status !== DeliverResponse.Status.REJECTED
      } catch (err) {
        this.c.log('mailbox node %p did not take it: %e', p, err)
        return false
      }
    }))
    return answers.filter(Boolean).length
  }

  /** Connected already, or found (DHT) and dialled within REACH_TIMEOUT_MS. */
  private async reach (peer: PeerId): Promise<boolean> {
    const libp2p = this.c.libp2p
    if (libp2p.getConnections(peer).length > 0) return true
    if (libp2p.getPeers().length === 0 || libp2p.services.dht === undefined) return false
    try {
      const signal = AbortSignal.timeout(REACH_TIMEOUT_MS)
      const info = await libp2p.peerRouting.findPeer(peer, { signal })
      await libp2p.dial(info.multiaddrs.length > 0 ? info.multiaddrs : peer, { signal })
      return true
    } catch (err) {
      // Not reachable now is the common case (the recipient is away): gossip and custody carry it.
      this.c.log.trace('%p not reachable directly: %e', peer, err)
      return false
    }
  }
}
