/**
 * Keeps the configured peers (bootstrap and bridges) connected, redialling
 * with exponential backoff (1 s doubling to 60 s; a cap of 8 s measured slower: a 10-node line converged in 41.6 s instead of 11.7 s after a 15 s outage, bench/lab.ts line10), and dials peers that
 * discovery (mDNS, bootstrap) finds — libp2p 3 does not dial them itself.
 * When both sides discover each other, the one with the larger id waits a
 * moment first, so a pair usually ends up with one connection, not two.
 */
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import type { PeerId } from '@libp2p/interface'
import type { Log } from './log.js'
import type { FunkpostLibp2p } from './libp2p.js'

const BACKOFF_MIN_MS = 1000
const BACKOFF_MAX_MS = 60000
const DISCOVERY_DEFER_MS = 1500

export class Keeper {
  private readonly targets: Array<{ addr: Multiaddr, peer?: string, delay: number, timer?: NodeJS.Timeout }>
  private stopped = false
  private readonly deferred = new Set<NodeJS.Timeout>()

  constructor (private readonly libp2p: FunkpostLibp2p, addrs: string[], private readonly log: Log) {
    this.targets = addrs.map(a => {
      const addr = multiaddr(a)
      return { addr, peer: addr.getComponents().find(c => c.name === 'p2p')?.value, delay: BACKOFF_MIN_MS }
    })
  }

  start (): void {
    for (const t of this.targets) this.dialTarget(t)
    this.libp2p.addEventListener('peer:disconnect', this.onDisconnect)
  }

  stop (): void {
    this.stopped = true
    this.libp2p.removeEventListener('peer:disconnect', this.onDisconnect)
    for (const t of this.targets) if (t.timer !== undefined) clearTimeout(t.timer)
    for (const t of this.deferred) clearTimeout(t)
  }

  private readonly onDisconnect = (evt: CustomEvent<PeerId>): void => {
    const id = evt.detail.toString()
    for (const t of this.targets) {
      if (t.peer === id) { t.delay = BACKOFF_MIN_MS; this.later(t) }
    }
  }

  private later (t: Keeper['targets'][number]): void {
    if (this.stopped) return
    if (t.timer !== undefined) clearTimeout(t.timer)
    t.timer = setTimeout(() => this.dialTarget(t), t.delay)
    t.timer.unref()
  }

  private dialTarget (t: Keeper['targets'][number]): void {
    if (this.stopped) return
    t.timer = undefined
    this.libp2p.dial(t.addr, { signal: AbortSignal.timeout(20000) }).then(conn => {
      t.peer = conn.remotePeer.toString()
      t.delay = BACKOFF_MIN_MS
    }, err => {
      this.log.warn('cannot reach %s: %s (retry in %d s)', t.addr.toString(), err.message, Math.round(t.delay / 1000))
      t.delay = Math.min(BACKOFF_MAX_MS, t.delay * 2)
      this.later(t)
    })
  }

  /** A discovery event: dial unless already connected. */
  discovered (peer: PeerId, addrs: Multiaddr[]): void {
    if (this.stopped || peer.equals(this.libp2p.peerId)) return
    const dial = (): void => {
      if (this.stopped || this.libp2p.getConnections(peer).length > 0) return
      this.libp2p.dial(addrs.length > 0 ? addrs : peer, { signal: AbortSignal.timeout(15000) }).catch(err => {
        this.log('dial discovered %s failed: %s', peer.toString(), err.message)
      })
    }
    if (this.libp2p.peerId.toString() < peer.toString()) { dial(); return }
    const t = setTimeout(() => { this.deferred.delete(t); dial() }, DISCOVERY_DEFER_MS)
    t.unref()
    this.deferred.add(t)
  }
}
