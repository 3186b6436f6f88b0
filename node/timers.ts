/**
 * Timers owned by a component: repeating tasks and one-shot delays, all
 * unref'd (a node's timers never keep a process alive) and all cleared by
 * clear() — a stopped component leaves nothing scheduled.
 */
import type { Log } from '../transports/log.js'

export class Timers {
  private readonly intervals = new Set<NodeJS.Timeout>()
  private readonly timeouts = new Set<NodeJS.Timeout>()

  constructor (private readonly log: Log) {}

  /** Run `fn` every `ms`; a failure is logged, the next run still happens. */
  every (ms: number, what: string, fn: () => Promise<void>): void {
    const t = setInterval(() => { fn().catch(err => this.log.error('%s failed: %e', what, err)) }, ms)
    t.unref()
    this.intervals.add(t)
  }

  /** Run `fn` once after `ms`; returns a handle for cancel(). */
  after (ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => { this.timeouts.delete(t); fn() }, ms)
    t.unref()
    this.timeouts.add(t)
    return t
  }

  cancel (t: NodeJS.Timeout | undefined): void {
    if (t === undefined) return
    clearTimeout(t)
    this.timeouts.delete(t)
  }

  clear (): void {
    for (const t of this.intervals) clearInterval(t)
    for (const t of this.timeouts) clearTimeout(t)
    this.intervals.clear()
    this.timeouts.clear()
  }
}
