/**
 * What a run measures, counted the same way for the real stack and the model:
 * delivery, latency, transmissions (amplification), custody and sync.
 * Definitions: docs/PERFORMANCE.md ("Definitions").
 */
import { describe, type Scenario } from './scenario.js'

export interface Transmissions {
  /** Copies of mail-topic envelopes (DIRECT and ACK) sent over a link by the pubsub router, IWANT answers included. */
  gossip: number
  /** Envelopes sent inside sync sessions (either direction). */
  sync: number
  /** Envelopes handed over by the deliver protocol (the DM, and the ACK in its answer). */
  deliver: number
  /** Announce-topic copies (reported, not part of amplification). */
  announce: number
}

interface SyncCounters { bytesOut: number, sessions: number, envelopesOut: number, failed: number }

export interface LatencySummary { p50: number, p90: number, p99: number, max: number, mean: number }

export interface RunReport {
  kind: 'real' | 'model'
  router: 'gossipsub' | 'floodsub'
  scenario: Record<string, unknown>
  messages: number
  sent: number
  delivered: number
  deliveryRatio: number
  acked: number
  ackRatio: number
  latencyMs: LatencySummary
  tx: Transmissions
  /** (gossip + sync + deliver) / delivered. */
  amplification: number
  custody: { quotaBytes: number, maxBytes: number, meanOfNodeMaxBytes: number, samples: number, overQuotaSamples: number }
  /** Sync sessions started, envelopes and bytes sent in them, and sessions that failed (either side). */
  sync: { bytesOut: number, sessions: number, envelopes: number, failed: number }
  [key: string]: unknown
  /** For the plot only (dropped from the printed JSON). */
  plot?: { latencies: number[], custody: Array<[number, number]> }
}

export function percentile (sorted: number[], p: number): number {
  if (sorted.length === 0) return 0
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100 * sorted.length) - 1))
  return sorted[i]
}

export function summarize (values: number[]): LatencySummary {
  const s = [...values].sort((a, b) => a - b)
  const mean = s.length === 0 ? 0 : s.reduce((a, b) => a + b, 0) / s.length
  const r = (x: number): number => Math.round(x * 10) / 10
  return { p50: r(percentile(s, 50)), p90: r(percentile(s, 90)), p99: r(percentile(s, 99)), max: r(s[s.length - 1] ?? 0), mean: r(mean) }
}

export class Tally {
  readonly tx: Transmissions = { gossip: 0, sync: 0, deliver: 0, announce: 0 }
  readonly sends = new Map<string, { idx: number, at: number, to: number }>()
  private readonly early = new Map<string, { node: number, at: number }>()
  readonly latency = new Map<string, number>()
  private readonly ackedIds = new Set<string>()
  private readonly nodeMax: number[]
  private readonly series: Array<[number, number]> = []
  private samples = 0
  private overQuota = 0
  private syncOut = { bytesOut: 0, sessions: 0, envelopes: 0, failed: 0 }
  dialFailures = 0
  sendFailures = 0
  setupMs = 0
  windowMs = 0
  drainMs = 0

  constructor (private readonly s: Scenario, private readonly quotaBytes: number) {
    this.nodeMax = new Array<number>(s.init.n).fill(0)
  }

  /** Transmissions during set-up (subscriptions, first announces) do not count. */
  resetTx (): void {
    this.tx.gossip = 0; this.tx.sync = 0; this.tx.deliver = 0; this.tx.announce = 0
    this.syncOut = { bytesOut: 0, sessions: 0, envelopes: 0, failed: 0 }
  }

  private readonly syncSeen = new WeakMap<object, SyncCounters>()

  /** Add a node's sync counters (call once per node instance, at its end; the part before resetTx is subtracted). */
  syncStats (st: SyncCounters): void {
    const base = this.syncSeen.get(st) ?? { bytesOut: 0, sessions: 0, envelopesOut: 0, failed: 0 }
    this.syncOut.failed += st.failed - base.failed
    this.syncOut.bytesOut += st.bytesOut - base.bytesOut
    this.syncOut.sessions += st.sessions - base.sessions
    this.syncOut.envelopes += st.envelopesOut - base.envelopesOut
    this.tx.sync += st.envelopesOut - base.envelopesOut
    this.syncSeen.set(st, { ...st })
  }

  /** Snapshot a node's sync counters now, so only later traffic is counted (set-up). */
  syncBaseline (st: SyncCounters): void {
    this.syncSeen.set(st, { ...st })
  }

  sent (idx: number, id: string, at: number): void {
    this.sends.set(id, { idx, at, to: this.s.sends[idx].to })
    const e = this.early.get(id)
    if (e !== undefined) { this.early.delete(id); this.received(id, e.node, e.at) }
  }

  received (id: string, node: number, at = Date.now()): void {
    const s = this.sends.get(id)
    if (s === undefined) { this.early.set(id, { node, at }); return }
    if (s.to !== node || this.latency.has(id)) return
    this.latency.set(id, at - s.at)
  }

  acked (id: string): void { if (this.sends.has(id)) this.ackedIds.add(id) }

  allReceived (): boolean { return this.latency.size >= this.s.sends.length }
  allAcked (): boolean { return this.allReceived() && this.ackedIds.size >= this.s.sends.length }

  sample (t: number, custody: Array<number | undefined>): void {
    let max = 0
    custody.forEach((b, i) => {
      if (b === undefined) return
      this.samples++
      if (b > this.quotaBytes) this.overQuota++
      if (b > this.nodeMax[i]) this.nodeMax[i] = b
      if (b > max) max = b
    })
    this.series.push([t, max])
  }

  report (extra: Partial<RunReport> & Pick<RunReport, 'kind' | 'router'>): RunReport {
    const delivered = this.latency.size
    const transmissions = this.tx.gossip + this.tx.sync + this.tx.deliver
    const lat = [...this.latency.values()]
    const r3 = (x: number): number => Math.round(x * 1000) / 1000
    return {
      scenario: describe(this.s),
      messages: this.s.sends.length,
      sent: this.sends.size,
      delivered,
      deliveryRatio: r3(this.s.sends.length === 0 ? 1 : delivered / this.s.sends.length),
      acked: this.ackedIds.size,
      ackRatio: r3(this.s.sends.length === 0 ? 1 : this.ackedIds.size / this.s.sends.length),
      latencyMs: summarize(lat),
      tx: { ...this.tx },
      amplification: Math.round(transmissions / Math.max(1, delivered) * 10) / 10,
      custody: {
        quotaBytes: this.quotaBytes,
        maxBytes: Math.max(0, ...this.nodeMax),
        meanOfNodeMaxBytes: Math.round(this.nodeMax.reduce((a, b) => a + b, 0) / Math.max(1, this.nodeMax.length)),
        samples: this.samples,
        overQuotaSamples: this.overQuota
      },
      sync: { ...this.syncOut },
      timing: { setupMs: this.setupMs, windowMs: this.windowMs, drainMs: this.drainMs },
      failures: { dial: this.dialFailures, send: this.sendFailures },
      ...extra,
      plot: { latencies: lat.sort((a, b) => a - b), custody: this.series }
    }
  }
}

/** The report as printed: without the plot arrays. */
export function printable (r: RunReport): Omit<RunReport, 'plot'> {
  const { plot, ...rest } = r
  void plot
  return rest
}
