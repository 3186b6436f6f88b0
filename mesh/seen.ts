/** A seen-cache of envelope ids, bounded in size and age (numbers in constants.ts). */
import { SEEN_MAX, SEEN_TTL_MS } from './constants.js'

export interface SeenCacheInit {
  /** @default SEEN_MAX */
  max?: number
  /** @default SEEN_TTL_MS */
  ttlMs?: number
  now?: () => number
}

export class SeenCache {
  private readonly map = new Map<string, number>()
  private readonly max: number
  private readonly ttlMs: number
  private readonly now: () => number

  constructor (init: SeenCacheInit = {}) {
    this.max = init.max ?? SEEN_MAX
    this.ttlMs = init.ttlMs ?? SEEN_TTL_MS
    this.now = init.now ?? Date.now
  }

  get size (): number { return this.map.size }

  has (key: string): boolean {
    const at = this.map.get(key)
    if (at === undefined) return false
    if (this.now() - at > this.ttlMs) {
      this.map.delete(key)
      return false
    }
    return true
  }

  /** Adds key; returns false when it was already present (a duplicate). */
  add (key: string): boolean {
    if (this.has(key)) return false
    this.map.set(key, this.now())
    // Insertion order is age order: evict from the front.
    while (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string)
    return true
  }

  delete (key: string): void { this.map.delete(key) }
}
