/**
 * The pubsub overlay of the model. gossipsub: each node keeps a topic mesh
 * among its linked neighbours — below Dlo it grafts random neighbours up to
 * D, above Dhi it prunes at random down to D (GRAFT and PRUNE are symmetric),
 * on its 1 s heartbeat; it forwards a new message to its mesh (not to the
 * peer it came from), publishes its own messages to every neighbour
 * (floodPublish, gossipsub's default) and gossips ids (IHAVE) to Dlazy
 * non-mesh neighbours at the next heartbeat, which ask (IWANT) for ones they
 * lack. floodsub: forward to every neighbour but the sender.
 * Parameters are gossipsub's defaults (@libp2p/gossipsub 17, src/constants.ts;
 * funkpost does not override them; the package does not export them).
 */

export const D = 6
export const DLO = 4
export const DHI = 12
export const DLAZY = 6
export const GOSSIP_FACTOR = 0.25
export const HEARTBEAT_MS = 1000

export type Router = 'gossipsub' | 'floodsub'

export class Overlay {
  /** Links that are up now (both ends running, not cut). */
  readonly links: Array<Set<number>>
  readonly mesh: Array<Set<number>>
  private readonly dirty = new Set<number>()

  constructor (n: number, readonly router: Router, private readonly random: () => number) {
    this.links = Array.from({ length: n }, () => new Set<number>())
    this.mesh = Array.from({ length: n }, () => new Set<number>())
  }

  linkUp (a: number, b: number): void {
    this.links[a].add(b); this.links[b].add(a)
    this.dirty.add(a); this.dirty.add(b)
  }

  linkDown (a: number, b: number): void {
    this.links[a].delete(b); this.links[b].delete(a)
    this.mesh[a].delete(b); this.mesh[b].delete(a)
    this.dirty.add(a); this.dirty.add(b)
  }

  isLinked (a: number, b: number): boolean { return this.links[a].has(b) }

  /** One heartbeat of mesh maintenance for the nodes whose neighbourhood changed. */
  heartbeat (): void {
    if (this.router !== 'gossipsub' || this.dirty.size === 0) return
    const touched = [...this.dirty].sort((a, b) => a - b)
    this.dirty.clear()
    for (const x of touched) {
      const m = this.mesh[x]
      if (m.size >= DLO) continue
      const cand = [...this.links[x]].filter(y => !m.has(y))
      while (m.size < D && cand.length > 0) {
        const y = cand.splice(Math.floor(this.random() * cand.length), 1)[0]
        m.add(y); this.mesh[y].add(x)
        this.dirty.add(y)
      }
    }
    for (const x of [...touched, ...this.dirty]) {
      const m = this.mesh[x]
      if (m.size <= DHI) continue
      const list = [...m]
      while (m.size > D) {
        const y = list.splice(Math.floor(this.random() * list.length), 1)[0]
        m.delete(y); this.mesh[y].delete(x)
        this.dirty.add(y)
      }
    }
    // Nodes that grafted or were pruned only need another look if they fell below Dlo.
    for (const y of [...this.dirty]) if (this.mesh[y].size >= DLO || this.mesh[y].size >= this.links[y].size) this.dirty.delete(y)
  }

  /** Where a node sends a message it publishes (its own, or one it re-publishes). */
  publishTargets (x: number): number[] {
    return [...this.links[x]]
  }

  /** Where a node forwards a new, valid message that came from `from`. */
  forwardTargets (x: number, from: number): number[] {
    const set = this.router === 'gossipsub' ? this.mesh[x] : this.links[x]
    const out: number[] = []
    for (const y of set) if (y !== from) out.push(y)
    return out
  }

  /** Non-mesh neighbours that get an IHAVE for a message at the next heartbeat (gossipsub only). */
  gossipTargets (x: number, from: number): number[] {
    if (this.router !== 'gossipsub') return []
    const cand = [...this.links[x]].filter(y => y !== from && !this.mesh[x].has(y))
    const k = Math.max(DLAZY, Math.floor(GOSSIP_FACTOR * cand.length))
    if (cand.length <= k) return cand
    const out: number[] = []
    while (out.length < k) out.push(cand.splice(Math.floor(this.random() * cand.length), 1)[0])
    return out
  }
}
