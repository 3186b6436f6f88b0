/** Per-peer token buckets, with a bounded number of tracked peers. */
import { RATE_PER_SEC, RATE_BURST, RATE_MAX_PEERS } from './constants.js'

export interface RateLimiterInit {
  /** @default RATE_PER_SEC */
  perSec?: number
  /** @default RATE_BURST */
  burst?: number
  /** @default RATE_MAX_PEERS */
  maxPeers?: number
  now?: () => number
}

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number, at: number }>()
  private readonly perSec: number
  private readonly burst: number
  private readonly maxPeers: number
  private readonly now: () => number

  constructor (init: RateLimiterInit = {}) {
    this.perSec = init.perSec ?? RATE_PER_SEC
    this.burst = init.burst ?? RATE_BURST
    this.maxPeers = init.maxPeers ?? RATE_MAX_PEERS
    this.now = init.now ?? Date.now
  }

  /** Takes one token for peer; false when the peer is over its rate. */
  take (peer: string): boolean {
    const now = this.now()
    let b = this.buckets.get(peer)
    if (b === undefined) {
      b = { tokens: this.burst, at: now }
      if (this.buckets.size >= this.maxPeers) this.buckets.delete(this.buckets.keys().next().value as string)
    } else {
      this.buckets.delete(peer)
      b.tokens = Math.min(this.burst, b.tokens + (now - b.at) * this.perSec / 1000)
      b.at = now
    }
    this.buckets.set(peer, b)
    if (b.tokens < 1) return false
    b.tokens -= 1
    return true
  }
}
