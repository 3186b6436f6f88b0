/**
 * Routed mail (city scale): finding a recipient's mailbox in the DHT, and
 * the two duties that make mailboxes work — a node hands the mail it holds
 * for a peer to that peer as soon as it is connected (on connect, and when
 * new mail for a connected peer arrives), and a node in routed mode stays
 * connected to its own mailbox so it collects its mail.
 */
import type { PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { fromHex, toHex, Kind } from '../mesh/envelope.js'
import { DeliverResponse, type DeliverProtocol } from '../mesh/deliver.js'
import { mailboxKey, MAILBOX_REPLICAS } from '../mesh/mailbox.js'
import { idFromPublicKey, publicKeyFromId } from '../mesh/ids.js'
import type { EnvelopeStore } from '../store-forward/envelopes.js'
import type { FunkpostLibp2p } from './libp2p.js'
import type { Log } from './log.js'
import { Timers } from './timers.js'

/** How long finding a mailbox in the DHT may take, ms. */
export const MAILBOX_LOOKUP_MS = 4000
/** A node in routed mode checks that it is connected to its mailbox this often, ms. */
export const MAILBOX_FETCH_INTERVAL_MS = 5 * 60 * 1000
/** After the first connection, a routed node looks for its mailbox this much later (the DHT needs a moment to learn peers), ms. */
const FIRST_FETCH_DELAY_MS = 3000
/** Envelopes handed to one peer per hand-off, at most (the rest on its next connection or the next arrival). */
const HANDOFF_MAX = 2000

/** The nodes closest to `key` in the DHT (FINAL_PEER answers), at most `n`, self excluded. */
export async function closestPeers (libp2p: FunkpostLibp2p, key: Uint8Array, n: number, timeoutMs = MAILBOX_LOOKUP_MS): Promise<PeerId[]> {
  const dht = libp2p.services.dht
  if (dht === undefined) return []
  const out: PeerId[] = []
  const seen = new Set<string>()
  const signal = AbortSignal.timeout(timeoutMs)
  try {
    for await (const e of dht.getClosestPeers(key, { signal })) {
      if (e.name !== 'FINAL_PEER') continue
      const id = e.peer.id.toString()
      if (id === libp2p.peerId.toString() || seen.has(id)) continue
      seen.add(id)
      out.push(e.peer.id)
      if (out.length >= n) break
    }
  } catch (err) {
    // A lookup cut short by its time budget keeps what it found.
    if (!signal.aborted) throw err
  }
  return out
}

/** The mailbox nodes of a recipient key (hex). */
export async function findMailbox (libp2p: FunkpostLibp2p, recipientHex: string): Promise<PeerId[]> {
  return closestPeers(libp2p, mailboxKey(fromHex(recipientHex)), MAILBOX_REPLICAS)
}

export interface HandoffComponents {
  libp2p: FunkpostLibp2p
  deliverer: DeliverProtocol
  envelopes: EnvelopeStore
  log: Log
  /** An answer's ACK goes back into the node. */
  receive: (bytes: Uint8Array, peer: string) => Promise<unknown>
  /** Whether this node runs in routed mode (its own mailbox fetch). */
  routed: () => boolean
  /** @default MAILBOX_FETCH_INTERVAL_MS */
  fetchIntervalMs?: number
}

/** Hands held mail to its recipient when connected; keeps this node connected to its own mailbox in routed mode. */
export class Handoff {
  private readonly timers: Timers
  private readonly busy = new Set<string>()
  private running = false
  private fetchedOnce = false
  private fetchSoon: NodeJS.Timeout | undefined

  constructor (private readonly c: HandoffComponents) {
    this.timers = new Timers(c.log)
  }

  start (): void {
    this.running = true
    this.timers.every(this.c.fetchIntervalMs ?? MAILBOX_FETCH_INTERVAL_MS, 'mailbox fetch', async () => { await this.fetch() })
  }

  stop (): void {
    this.running = false
    this.timers.clear()
    this.fetchSoon = undefined
  }

  /** A peer connected: hand it what is held for it; the first connections also prompt a look for this node's own mailbox. */
  peerConnected (peer: PeerId): void {
    void this.handTo(peer)
    if (!this.fetchedOnce && this.fetchSoon === undefined) {
      // The DHT learns peers from the first connections; look a moment later.
      this.fetchSoon = this.timers.after(FIRST_FETCH_DELAY_MS, () => {
        this.fetchSoon = undefined
        this.fetch().then(n => { if (n >= 0) this.fetchedOnce = true }, err => this.c.log('mailbox fetch failed: %e', err))
      })
    }
  }

  /** New mail held here for `toHex`: hand it over now if that peer is connected. */
  held (toHex: string): void {
    let peer: PeerId
    try { peer = peerIdFromString(idFromPublicKey(fromHex(toHex))) } catch { return }
    if (this.c.libp2p.getConnections(peer).length > 0) void this.handTo(peer)
  }

  /** Connect to this node's own mailbox (connecting makes its nodes hand over what they hold). */
  async fetch (): Promise<number> {
    if (!this.running || !this.c.routed()) return -1
    const me = toHex(publicKeyFromId(this.c.libp2p.peerId.toString()))
    const box = await findMailbox(this.c.libp2p, me)
    let dialled = 0
    for (const p of box) {
      if (this.c.libp2p.getConnections(p).length > 0) { void this.handTo(p); continue }
      try {
        await this.c.libp2p.dial(p, { signal: AbortSignal.timeout(MAILBOX_LOOKUP_MS) })
        dialled++
      } catch (err) {
        this.c.log('mailbox node %p not reachable: %e', p, err)
      }
    }
    return dialled
  }

  private async handTo (peer: PeerId): Promise<void> {
    const id = peer.toString()
    if (!this.running || this.busy.has(id)) return
    let key: string
    try { key = toHex(publicKeyFromId(id)) } catch { return }
    this.busy.add(id)
    try {
      // Custody only: own mail to this peer leaves through the outbox pump, which a new connection wakes.
      const ids = this.c.envelopes.idsTo(key, [Kind.ACK, Kind.DIRECT]).filter(x => this.c.envelopes.getMeta(x)?.role === 'custody').slice(0, HANDOFF_MAX)
      if (ids.length === 0) return
      let handed = 0
      for (const eid of ids) {
        if (!this.running) return
        const bytes = await this.c.envelopes.get(eid)
        if (bytes === undefined) continue
        try {
          const answer = await this.c.deliverer.deliver(peer, bytes)
          handed++
          if (answer.status === DeliverResponse.Status.ACKED) await this.c.receive(answer.ack, id)
        } catch (err) {
          this.c.log('hand-off to %p stopped: %e', peer, err)
          break
        }
      }
      if (handed > 0) this.c.log.info('handed %d held envelopes to %p', handed, peer)
    } finally {
      this.busy.delete(id)
    }
  }
}
