/**
 * When to reconcile: with a peer as soon as it connects (the side whose id
 * sorts first starts, so a pair runs one session, not two), with one random
 * neighbour every SYNC_INTERVAL_MS, and with a few neighbours at once when a
 * channel is joined (to fetch its history now).
 */
import type { PeerId } from '@libp2p/interface'
import type { SyncProtocol } from '../store-forward/sync.js'
import { SYNC_INTERVAL_MS } from '../store-forward/constants.js'
import type { FunkpostLibp2p } from './libp2p.js'
import type { Log } from './log.js'
import { Timers } from './timers.js'

/** On joining a channel, sync with this many connected peers at once to fetch its history. */
const JOIN_SYNC_PEERS = 3

export interface SyncSchedulerComponents {
  id: string
  libp2p: FunkpostLibp2p
  sync: SyncProtocol
  log: Log
  /** Uniform in [0, 1). @default Math.random */
  random?: () => number
  /** @default SYNC_INTERVAL_MS */
  intervalMs?: number
  /** Whether periodic syncs run now (not in a routed mesh, where custody is not copied to every neighbour). @default always */
  periodic?: () => boolean
}

export class SyncScheduler {
  private readonly timers: Timers

  constructor (private readonly c: SyncSchedulerComponents) {
    this.timers = new Timers(c.log)
  }

  start (): void {
    this.timers.every(this.c.intervalMs ?? SYNC_INTERVAL_MS, 'periodic sync', async () => this.syncRandomNeighbour())
  }

  stop (): void {
    this.timers.clear()
  }

  peerConnected (peer: PeerId): void {
    if (this.c.id < peer.toString()) void this.syncWith(peer)
  }

  /** One session with `peer`; failures are logged, not thrown. */
  async syncWith (peer: PeerId): Promise<void> {
    try {
      const r = await this.c.sync.run(peer)
      if (r.sent + r.received > 0) this.c.log.info('sync with %p: %d sent, %d received in %d rounds', peer, r.sent, r.received, r.rounds)
    } catch (err) {
      this.c.log.warn('sync with %p failed: %e', peer, err)
    }
  }

  /** A channel was just joined: fetch what the neighbours hold now, not at the next periodic sync. */
  joined (): void {
    for (const p of this.c.libp2p.getPeers().slice(0, JOIN_SYNC_PEERS)) void this.syncWith(p)
  }

  private async syncRandomNeighbour (): Promise<void> {
    if (this.c.periodic?.() === false) return
    const peers = this.c.libp2p.getPeers()
    if (peers.length === 0) return
    const r = (this.c.random ?? Math.random)()
    await this.syncWith(peers[Math.floor(r * peers.length)])
  }
}
