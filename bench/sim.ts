/**
 * The network simulator bench: prints ONE JSON object.
 *
 * 1. Real stack (FunkpostNode over the memory transport, LevelDB on disk) at
 *    30/60/100 nodes on a seeded rooftop graph with churn, a partition that
 *    heals and a Poisson stream of direct messages — once with gossipsub (the
 *    product) and once with floodsub (the baseline), same scenario.
 * 2. The protocol model on the same 100-node scenario: agreement with the
 *    real stack on delivery ratio and amplification (within TOLERANCE).
 * 3. The model at 10,000 nodes (gossipsub and floodsub), trusted only if (2) agreed.
 * 4. The model under custody pressure (a quota smaller than the load).
 *
 * Usage (docs/PERFORMANCE.md): bundle with esbuild, then
 *   node --import ./node/polyfill.js bench/.build/sim.mjs [--seed N] [--sizes 30,60,100] [--big 10000] [--out bench/.build/out]
 */
import fs from 'node:fs'
import path from 'node:path'
import { makeScenario, type ScenarioInit } from './sim/scenario.js'
import { runReal } from './sim/real.js'
import type { RunReport } from './sim/report.js'
import { renderSvg } from './sim/svg.js'
import { degreeStats } from './sim/topology.js'
import { runModel } from './model/run.js'

/** Model and real stack agree when amplification differs by at most this fraction and delivery ratios are equal. */
const TOLERANCE = 0.15
const QUOTA = 64 * 1024

function arg (name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def
}

const seed = Number(arg('seed', '20261122'))
const sizes = arg('sizes', '30,60,100').split(',').map(Number).filter(x => x > 0)
const big = Number(arg('big', '10000'))
const outDir = arg('out', 'bench/.build/out')
const log = (line: string): void => { process.stderr.write(`[sim] ${line}\n`) }

const base = (n: number): ScenarioInit => ({
  seed, n, topology: 'rooftop', meanDegree: 8, durationMs: 30_000, drainMs: 60_000, rate: 2, churn: 0.1, downMs: [4000, 10_000], partition: { at: 0.3, heal: 0.6 }
})

const summary = (r: RunReport): Record<string, unknown> => {
  const { scenario, plot, ...rest } = r
  void plot
  return { nodes: (scenario as { nodes: number }).nodes, links: (scenario as { links: number }).links, ...rest }
}

const real: RunReport[] = []
for (const n of sizes) {
  const scenario = makeScenario(base(n))
  for (const pubsub of ['gossipsub', 'floodsub'] as const) {
    log(`real ${pubsub} n=${n}: ${scenario.sends.length} messages, ${scenario.graph.edges.length} links, degree ${JSON.stringify(degreeStats(scenario.graph))}`)
    const r = await runReal({ scenario, pubsub, quotaBytes: QUOTA, log })
    log(`  delivered ${r.delivered}/${r.messages}, amplification ${r.amplification}, p50 ${r.latencyMs.p50} ms, wall ${String(r.wallMs)} ms`)
    real.push(r)
  }
}

// ---- agreement at the largest real size ----
const nAgree = Math.max(...sizes)
const agreeScenario = makeScenario(base(nAgree))
const modelAgree: RunReport[] = []
for (const router of ['gossipsub', 'floodsub'] as const) modelAgree.push(await runModel({ scenario: agreeScenario, router, quotaBytes: QUOTA }))
const agreement = (['gossipsub', 'floodsub'] as const).map(router => {
  const r = real.find(x => x.router === router && (x.scenario as { nodes: number }).nodes === nAgree) as RunReport
  const m = modelAgree.find(x => x.router === router) as RunReport
  const ampDiff = Math.abs(m.amplification - r.amplification) / Math.max(1e-9, r.amplification)
  return {
    router, nodes: nAgree,
    deliveryRatio: { real: r.deliveryRatio, model: m.deliveryRatio },
    amplification: { real: r.amplification, model: m.amplification, relativeDifference: Math.round(ampDiff * 1000) / 1000 },
    agree: r.deliveryRatio === m.deliveryRatio && ampDiff <= TOLERANCE
  }
})
const trusted = agreement.every(a => a.agree)
log(`agreement at ${nAgree}: ${JSON.stringify(agreement)}`)

// ---- the model at scale ----
const scale: RunReport[] = []
if (big > 0) {
  const s = makeScenario({ ...base(big), drainMs: 120_000 })
  log(`model n=${big}: ${s.sends.length} messages, ${s.graph.edges.length} links, degree ${JSON.stringify(degreeStats(s.graph))}`)
  for (const router of ['gossipsub', 'floodsub'] as const) {
    const r = await runModel({ scenario: s, router, quotaBytes: QUOTA })
    log(`  model ${router}: delivered ${r.delivered}/${r.messages}, amplification ${r.amplification}, wall ${String(r.wallMs)} ms`)
    scale.push(r)
  }
}

// ---- custody pressure (model, 100 nodes): quotas below the offered load ----
const pressure = []
for (const quota of [QUOTA, 16 * 1024, 8 * 1024, 4 * 1024]) {
  const r = await runModel({ scenario: agreeScenario, router: 'gossipsub', quotaBytes: quota })
  pressure.push({ quotaBytes: quota, deliveryRatio: r.deliveryRatio, maxCustodyBytes: r.custody.maxBytes, overQuotaSamples: r.custody.overQuotaSamples, latencyMs: r.latencyMs })
}

// ---- ratios and goals ----
const ratio = (rs: RunReport[], n: number): number | undefined => {
  const g = rs.find(x => x.router === 'gossipsub' && (x.scenario as { nodes: number }).nodes === n)
  const f = rs.find(x => x.router === 'floodsub' && (x.scenario as { nodes: number }).nodes === n)
  return g !== undefined && f !== undefined ? Math.round(g.amplification / f.amplification * 1000) / 1000 : undefined
}
const gossipRuns = real.filter(r => r.router === 'gossipsub')
const goals = {
  deliveryRatio100UnderChurnAndHealedPartitions: gossipRuns.every(r => r.deliveryRatio === 1),
  amplificationAtMostHalfOfFloodsub: sizes.map(n => ({ nodes: n, ratio: ratio(real, n) })),
  amplificationGoalMet: sizes.every(n => (ratio(real, n) ?? 1) <= 0.5),
  custodyWithinQuotaAtEverySample: [...real, ...modelAgree, ...scale].every(r => r.custody.overQuotaSamples === 0)
}

fs.mkdirSync(outDir, { recursive: true })
const svg = path.join(outDir, `sim-${seed}.svg`)
fs.writeFileSync(svg, renderSvg([...real, ...modelAgree], `funkpost simulator, seed ${seed}: real stack (solid) and model (dashed)`))
// The runs with their plot data, so the figure can be redrawn (bench/sim/svg.ts) without re-running.
fs.writeFileSync(svg.replace(/\.svg$/, '.json'), JSON.stringify([...real, ...modelAgree]))

console.log(JSON.stringify({
  bench: 'sim',
  seed,
  node: process.version,
  quotaBytes: QUOTA,
  scenario: base(0),
  real: real.map(summary),
  agreement: { tolerance: TOLERANCE, trusted, runs: agreement, model: modelAgree.map(summary) },
  scale: { trusted, runs: scale.map(r => ({ ...summary(r), ampRatioToFloodsub: ratio(scale, big) })) },
  custodyPressure: { nodes: nAgree, runs: pressure },
  goals,
  svg
}, null, 1))
