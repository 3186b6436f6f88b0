/** A binary min-heap of timed events (ties broken by insertion order, so runs are deterministic). */
export interface Timed { at: number, seq: number }

export class EventQueue<T extends Timed> {
  private readonly heap: T[] = []
  private seq = 0

  get size (): number { return this.heap.length }

  push (ev: Omit<T, 'seq'>): void {
    const e = { ...ev, seq: this.seq++ } as T
    const h = this.heap
    h.push(e)
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (this.less(h[p], e)) break
      h[i] = h[p]; i = p
    }
    h[i] = e
  }

  pop (): T | undefined {
    const h = this.heap
    if (h.length === 0) return undefined
    const top = h[0]
    const last = h.pop() as T
    if (h.length > 0) {
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        if (l >= h.length) break
        const r = l + 1
        const c = r < h.length && this.less(h[r], h[l]) ? r : l
        if (this.less(last, h[c])) break
        h[i] = h[c]; i = c
      }
      h[i] = last
    }
    return top
  }

  private less (a: T, b: T): boolean { return a.at < b.at || (a.at === b.at && a.seq < b.seq) }
}
