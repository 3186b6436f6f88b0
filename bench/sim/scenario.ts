/**
 * A scenario: topology, Poisson workload of direct messages, churn schedule
 * and partitions, all derived from one seed. The real-stack runner
 * (bench/sim/real.ts) and the protocol model (bench/model/) replay the same
 * scenario, so their figures can be compared.
 */
import { deriveSeed, exponential, seededRandom, shuffle } from './random.js'
import { makeGraph, type Edge, type Graph, type TopologyName } from './topology.js'

export interface ScenarioInit {
  seed: number
  n: number
  topology: TopologyName
  /** Rooftop/islands mean degree target. @default 8 */
  meanDegree?: number
  /** Length of the workload window, ms. */
  durationMs: number
  /** Time after the window in which messages may still arrive, ms. */
  drainMs: number
  /** Direct messages per second, whole network (Poisson arrivals). */
  rate: number
  /** Fraction of nodes that go down once during the window. @default 0 */
  churn?: number
  /** Outage length range, ms. @default [3000, 10000] */
  downMs?: [number, number]
  /** Partition: cut the graph's `cut` links at `at`·duration, heal at `heal`·duration (fractions of the window). */
  partition?: { at: number, heal: number }
}

export interface Send { idx: number, at: number, from: number, to: number }
export interface Outage { node: number, down: number, up: number }
export interface Partition { at: number, heal: number, cut: Edge[] }

export interface Scenario {
  init: ScenarioInit
  graph: Graph
  sends: Send[]
  outages: Outage[]
  partitions: Partition[]
  /** Node identity seeds (32 bytes each), so node ids — and who starts a sync — are seeded too. */
  identitySeeds: Uint8Array[]
}

export function isUp (s: Scenario, node: number, t: number): boolean {
  return !s.outages.some(o => o.node === node && t >= o.down && t < o.up)
}

export function makeScenario (init: ScenarioInit): Scenario {
  const graph = makeGraph(init.topology, init.n, deriveSeed(init.seed, 'graph'), init.meanDegree ?? 8)
  const rChurn = seededRandom(deriveSeed(init.seed, 'churn'))
  const rWork = seededRandom(deriveSeed(init.seed, 'work'))
  const rIds = seededRandom(deriveSeed(init.seed, 'ids'))
  const D = init.durationMs
  const outages: Outage[] = []
  const down = Math.round((init.churn ?? 0) * init.n)
  const [dmin, dmax] = init.downMs ?? [3000, 10000]
  for (const node of shuffle(rChurn, Array.from({ length: init.n }, (_, i) => i)).slice(0, down)) {
    const len = dmin + rChurn() * (dmax - dmin)
    const start = D * 0.1 + rChurn() * Math.max(0, D * 0.8 - len)
    outages.push({ node, down: Math.round(start), up: Math.round(Math.min(start + len, D * 0.9)) })
  }
  const partitions: Partition[] = init.partition !== undefined && graph.cut.length > 0
    ? [{ at: Math.round(D * init.partition.at), heal: Math.round(D * init.partition.heal), cut: graph.cut }]
    : []
  const s: Scenario = { init, graph, sends: [], outages, partitions, identitySeeds: [] }
  for (let i = 0; i < init.n; i++) {
    const seed = new Uint8Array(32)
    for (let k = 0; k < 32; k++) seed[k] = Math.floor(rIds() * 256)
    s.identitySeeds.push(seed)
  }
  let t = 0
  for (let idx = 0; ; idx++) {
    t += exponential(rWork, init.rate / 1000)
    if (t >= D) break
    // The sender is someone who is up (a person types on a running node); the recipient may be away.
    let from = Math.floor(rWork() * init.n)
    for (let k = 0; k < 100 && !isUp(s, from, t); k++) from = Math.floor(rWork() * init.n)
    let to = Math.floor(rWork() * (init.n - 1))
    if (to >= from) to++
    s.sends.push({ idx, at: Math.round(t), from, to })
  }
  return s
}

/** Every scheduled change, in time order: what the runners replay. */
export type TimelineEvent =
  | { at: number, type: 'send', send: Send }
  | { at: number, type: 'down' | 'up', node: number }
  | { at: number, type: 'cut' | 'heal', cut: Edge[] }

export function timeline (s: Scenario): TimelineEvent[] {
  const ev: TimelineEvent[] = []
  for (const send of s.sends) ev.push({ at: send.at, type: 'send', send })
  for (const o of s.outages) { ev.push({ at: o.down, type: 'down', node: o.node }); ev.push({ at: o.up, type: 'up', node: o.node }) }
  for (const p of s.partitions) { ev.push({ at: p.at, type: 'cut', cut: p.cut }); ev.push({ at: p.heal, type: 'heal', cut: p.cut }) }
  const order = { heal: 0, up: 1, cut: 2, down: 3, send: 4 }
  return ev.sort((a, b) => a.at - b.at || order[a.type] - order[b.type])
}

/** A compact description for reports. */
export function describe (s: Scenario): Record<string, unknown> {
  return {
    seed: s.init.seed,
    topology: s.init.topology,
    nodes: s.init.n,
    links: s.graph.edges.length,
    messages: s.sends.length,
    rate: s.init.rate,
    windowMs: s.init.durationMs,
    outages: s.outages.length,
    partitions: s.partitions.map(p => ({ at: p.at, heal: p.heal, links: p.cut.length }))
  }
}
