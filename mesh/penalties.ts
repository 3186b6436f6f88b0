/**
 * funkpost's own record of peers that sent invalid envelopes, by any path
 * (gossip, deliver, sync). gossipsub keeps its score only while a peer is
 * connected (and forgets a peer that leaves with a positive cached score),
 * so a peer that sends garbage and hangs up would come back clean; this
 * ledger remembers it. Bounded: at most PENALTY_MAX_PEERS peers (the least
 * recently penalised dropped first); a penalty halves every
 * PENALTY_HALF_LIFE_MS.
 */
import { PENALTY_HALF_LIFE_MS, PENALTY_MAX_PEERS, PENALTY_PER_INVALID } from './constants.js'

export interface PenaltiesInit {
  /** @default PENALTY_MAX_PEERS */
  maxPeers?: number
  /** @default PENALTY_HALF_LIFE_MS */
  halfLifeMs?: number
  now?: () => number
}

export class Penalties {
  private readonly peers = new Map<string, { points: number, at: number }>()
  private readonly maxPeers: number
  private readonly halfLifeMs: number
  private readonly now: () => number

  constructor (init: PenaltiesInit = {}) {
    this.maxPeers = init.maxPeers ?? PENALTY_MAX_PEERS
    this.halfLifeMs = init.halfLifeMs ?? PENALTY_HALF_LIFE_MS
    this.now = init.now ?? Date.now
  }

  get size (): number { return this.peers.size }

  /** Add penalty points (default: one invalid envelope's worth); returns the peer's total. */
  add (peer: string, points = PENALTY_PER_INVALID): number {
    const total = this.points(peer) + points
    this.peers.delete(peer)
    this.peers.set(peer, { points: total, at: this.now() })
    while (this.peers.size > this.maxPeers) this.peers.delete(this.peers.keys().next().value as string)
    return total
  }

  /** A peer's current points (0 when unknown), decayed to now. */
  points (peer: string): number {
    const p = this.peers.get(peer)
    if (p === undefined) return 0
    const decayed = p.points * 0.5 ** ((this.now() - p.at) / this.halfLifeMs)
    if (decayed < 0.01) { this.peers.delete(peer); return 0 }
    return decayed
  }
}
