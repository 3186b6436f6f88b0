/** Control API: `held` — what this node holds for others (custody), grouped, with ACKs counted apart from mail. */
import { fromHex, Kind } from '../mesh/envelope.js'
import { idFromPublicKey } from '../mesh/ids.js'
import type { ApiContext, Handler } from './api.js'

export interface HeldGroup { id: string, name: string, count: number, bytes: number }

export interface HeldReport {
  mail: { count: number, bytes: number }
  acks: { count: number, bytes: number }
  channels: { count: number, bytes: number }
  byPriority: { critical: number, normal: number, low: number }
  byRecipient: HeldGroup[]
  byAuthor: HeldGroup[]
  tombstones: number
}

const RANKS = ['critical', 'normal', 'low'] as const

function group (ctx: ApiContext, m: Map<string, { count: number, bytes: number }>, limit: number): HeldGroup[] {
  return [...m.entries()].sort((a, b) => b[1].bytes - a[1].bytes || a[0].localeCompare(b[0])).slice(0, limit).map(([key, v]) => {
    let id = key
    try { id = idFromPublicKey(fromHex(key)) } catch { /* a channel id, not a key: shown as hex */ }
    return { id, name: ctx.contacts.byKey(key)?.name ?? '', count: v.count, bytes: v.bytes }
  })
}

export const heldHandlers: Record<string, Handler> = {
  async held (ctx, p) {
    const limit = p.limit === undefined ? 20 : Number(p.limit)
    const report: HeldReport = {
      mail: { count: 0, bytes: 0 }, acks: { count: 0, bytes: 0 }, channels: { count: 0, bytes: 0 },
      byPriority: { critical: 0, normal: 0, low: 0 }, byRecipient: [], byAuthor: [], tombstones: ctx.node.envelopes.stats().tombstones
    }
    const byTo = new Map<string, { count: number, bytes: number }>()
    const byFrom = new Map<string, { count: number, bytes: number }>()
    const add = (m: Map<string, { count: number, bytes: number }>, k: string, size: number): void => {
      const v = m.get(k) ?? { count: 0, bytes: 0 }
      v.count++
      v.bytes += size
      m.set(k, v)
    }
    for (const { meta } of ctx.node.envelopes.items()) {
      if (meta.role !== 'custody') continue
      const bucket = meta.kind === Kind.ACK ? report.acks : meta.kind === Kind.CHANNEL || meta.kind === Kind.CONTROL ? report.channels : report.mail
      bucket.count++
      bucket.bytes += meta.size
      report.byPriority[RANKS[meta.rank] ?? 'normal']++
      if (meta.kind === Kind.DIRECT) { add(byTo, meta.to, meta.size); add(byFrom, meta.from, meta.size) }
    }
    report.byRecipient = group(ctx, byTo, limit)
    report.byAuthor = group(ctx, byFrom, limit)
    return report
  }
}
