/**
 * The simulator's plot, written by hand (no plotting dependency): three
 * panels — latency CDF per run (log time axis), transmissions per delivered
 * message per run (bars), and the largest custody of any node over time
 * against the quota.
 */
import type { RunReport } from './report.js'

const W = 1120
const PANEL_H = 300
const M = { l: 70, r: 300, t: 40, b: 45 }
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#17becf', '#7f7f7f', '#bcbd22', '#e377c2']

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const f = (x: number): string => (Math.round(x * 10) / 10).toString()

export function label (r: RunReport): string {
  const nodes = (r.scenario as { nodes: number }).nodes
  return `${r.kind} ${r.router === 'gossipsub' ? 'gossipsub' : 'floodsub'} n=${nodes}`
}

function frame (y0: number, title: string, xLabel: string, yLabel: string): string[] {
  const x1 = W - M.r; const y1 = y0 + PANEL_H - M.b
  return [
    `<text x="${M.l}" y="${y0 + 22}" font-size="15" font-weight="bold">${esc(title)}</text>`,
    `<line x1="${M.l}" y1="${y1}" x2="${x1}" y2="${y1}" stroke="#333"/>`,
    `<line x1="${M.l}" y1="${y0 + M.t}" x2="${M.l}" y2="${y1}" stroke="#333"/>`,
    `<text x="${(M.l + x1) / 2}" y="${y1 + 36}" font-size="12" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text x="16" y="${(y0 + M.t + y1) / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 16 ${(y0 + M.t + y1) / 2})">${esc(yLabel)}</text>`
  ]
}

function legend (y0: number, items: Array<{ text: string, color: string, dash?: string }>): string[] {
  const x = W - M.r + 14
  return items.flatMap((it, i) => [
    `<line x1="${x}" y1="${y0 + M.t + 8 + i * 18}" x2="${x + 22}" y2="${y0 + M.t + 8 + i * 18}" stroke="${it.color}" stroke-width="3"${it.dash !== undefined ? ` stroke-dasharray="${it.dash}"` : ''}/>`,
    `<text x="${x + 28}" y="${y0 + M.t + 12 + i * 18}" font-size="11">${esc(it.text)}</text>`
  ])
}

function latencyPanel (runs: RunReport[], y0: number): string[] {
  const out = frame(y0, 'Delivery latency (CDF over delivered messages)', 'latency, ms (log scale)', 'fraction delivered')
  const all = runs.flatMap(r => r.plot?.latencies ?? [])
  const lo = 1; const hi = Math.max(10, ...all)
  const x1 = W - M.r; const yb = y0 + PANEL_H - M.b; const yt = y0 + M.t
  const sx = (v: number): number => M.l + (Math.log10(Math.max(lo, v)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) * (x1 - M.l)
  const sy = (p: number): number => yb - p * (yb - yt)
  for (let d = 0; d <= Math.ceil(Math.log10(hi)); d++) {
    const v = 10 ** d
    if (v > hi * 1.01) break
    out.push(`<line x1="${f(sx(v))}" y1="${yt}" x2="${f(sx(v))}" y2="${yb}" stroke="#ddd"/>`, `<text x="${f(sx(v))}" y="${yb + 16}" font-size="11" text-anchor="middle">${v >= 1000 ? `${v / 1000} s` : `${v} ms`}</text>`)
  }
  for (const p of [0, 0.5, 0.9, 1]) out.push(`<line x1="${M.l}" y1="${f(sy(p))}" x2="${x1}" y2="${f(sy(p))}" stroke="#eee"/>`, `<text x="${M.l - 6}" y="${f(sy(p) + 4)}" font-size="11" text-anchor="end">${p}</text>`)
  const items: Array<{ text: string, color: string, dash?: string }> = []
  runs.forEach((r, i) => {
    const lat = r.plot?.latencies ?? []
    if (lat.length === 0) return
    const color = COLORS[i % COLORS.length]
    const dash = r.kind === 'model' ? '5 3' : undefined
    const total = r.messages
    const pts = lat.map((v, k) => `${f(sx(v))},${f(sy((k + 1) / total))}`)
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${dash !== undefined ? ` stroke-dasharray="${dash}"` : ''} points="${f(sx(lat[0]))},${f(sy(0))} ${pts.join(' ')}"/>`)
    items.push({ text: `${label(r)} (p50 ${r.latencyMs.p50} ms)`, color, dash })
  })
  return [...out, ...legend(y0, items)]
}

function amplificationPanel (runs: RunReport[], y0: number): string[] {
  const out = frame(y0, 'Transmissions per delivered message (gossip + sync + deliver)', '', 'envelope copies sent')
  const x1 = W - M.r; const yb = y0 + PANEL_H - M.b; const yt = y0 + M.t
  const max = Math.max(1, ...runs.map(r => r.amplification)) * 1.15
  const bw = (x1 - M.l) / Math.max(1, runs.length)
  const sy = (v: number): number => yb - v / max * (yb - yt)
  for (let k = 0; k <= 4; k++) {
    const v = max / 1.15 * k / 4
    out.push(`<line x1="${M.l}" y1="${f(sy(v))}" x2="${x1}" y2="${f(sy(v))}" stroke="#eee"/>`, `<text x="${M.l - 6}" y="${f(sy(v) + 4)}" font-size="11" text-anchor="end">${Math.round(v)}</text>`)
  }
  runs.forEach((r, i) => {
    const color = COLORS[i % COLORS.length]
    const x = M.l + i * bw + bw * 0.15
    const tx = r.tx
    const parts: Array<[number, number]> = [[tx.gossip, 1], [tx.sync, 0.55], [tx.deliver, 0.3]]
    let acc = 0
    for (const [v, op] of parts) {
      const h = v / Math.max(1, r.delivered)
      out.push(`<rect x="${f(x)}" y="${f(sy(acc + h))}" width="${f(bw * 0.7)}" height="${f(sy(acc) - sy(acc + h))}" fill="${color}" fill-opacity="${op}"/>`)
      acc += h
    }
    out.push(`<text x="${f(x + bw * 0.35)}" y="${f(sy(r.amplification) - 5)}" font-size="11" text-anchor="middle">${r.amplification}</text>`)
    out.push(`<text x="${f(x + bw * 0.35)}" y="${yb + 14}" font-size="10" text-anchor="middle">${esc(r.kind)} ${esc(r.router === 'gossipsub' ? 'gs' : 'fs')}</text>`)
    out.push(`<text x="${f(x + bw * 0.35)}" y="${yb + 26}" font-size="10" text-anchor="middle">n=${(r.scenario as { nodes: number }).nodes}</text>`)
  })
  out.push(...legend(y0, [{ text: 'gossip copies', color: '#555' }, { text: 'sync envelopes (lighter)', color: '#aaa' }, { text: 'deliver hand-overs (lightest)', color: '#ddd' }]))
  return out
}

function custodyPanel (runs: RunReport[], y0: number): string[] {
  const out = frame(y0, 'Largest custody of any node over time, against the quota', 'time since the workload started, s', 'bytes held for others')
  const x1 = W - M.r; const yb = y0 + PANEL_H - M.b; const yt = y0 + M.t
  const quota = Math.max(...runs.map(r => r.custody.quotaBytes))
  const tmax = Math.max(1, ...runs.flatMap(r => (r.plot?.custody ?? []).map(p => p[0])))
  const ymax = Math.max(quota, ...runs.map(r => r.custody.maxBytes)) * 1.1
  const sx = (t: number): number => M.l + t / tmax * (x1 - M.l)
  const sy = (v: number): number => yb - v / ymax * (yb - yt)
  for (let k = 0; k <= 4; k++) {
    const v = ymax / 1.1 * k / 4
    out.push(`<text x="${M.l - 6}" y="${f(sy(v) + 4)}" font-size="11" text-anchor="end">${v >= 1024 ? `${Math.round(v / 1024)} KiB` : Math.round(v)}</text>`)
  }
  for (let k = 0; k <= 5; k++) out.push(`<text x="${f(sx(tmax * k / 5))}" y="${yb + 16}" font-size="11" text-anchor="middle">${Math.round(tmax * k / 5 / 1000)}</text>`)
  out.push(`<line x1="${M.l}" y1="${f(sy(quota))}" x2="${x1}" y2="${f(sy(quota))}" stroke="#000" stroke-dasharray="6 4"/>`, `<text x="${x1 - 4}" y="${f(sy(quota) - 5)}" font-size="11" text-anchor="end">quota ${Math.round(quota / 1024)} KiB</text>`)
  const items: Array<{ text: string, color: string, dash?: string }> = []
  runs.forEach((r, i) => {
    const pts = r.plot?.custody ?? []
    if (pts.length === 0) return
    const color = COLORS[i % COLORS.length]
    const dash = r.kind === 'model' ? '5 3' : undefined
    const step = Math.max(1, Math.floor(pts.length / 400))
    const line = pts.filter((_, k) => k % step === 0).map(([t, v]) => `${f(sx(t))},${f(sy(v))}`).join(' ')
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="1.5"${dash !== undefined ? ` stroke-dasharray="${dash}"` : ''} points="${line}"/>`)
    items.push({ text: `${label(r)} (max ${r.custody.maxBytes} B)`, color, dash })
  })
  return [...out, ...legend(y0, items)]
}

export function renderSvg (runs: RunReport[], title: string): string {
  const H = PANEL_H * 3 + 40
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="24" font-size="17" text-anchor="middle" font-weight="bold">${esc(title)}</text>`,
    ...latencyPanel(runs, 40),
    ...amplificationPanel(runs, 40 + PANEL_H),
    ...custodyPanel(runs, 40 + 2 * PANEL_H),
    '</svg>'
  ].join('\n')
}
