/**
 * The Freifunk lab bench (root only): real `funkpost start` processes in
 * network namespaces joined by veth "radio links". Prints ONE JSON object.
 *
 *   mesh5   5-node ring: DM latency between random pairs
 *   mesh25  5×5 grid: DM latency between random pairs
 *   line10  10-node line, all links down while mail is written, then up:
 *           time until every message is where it should be
 *   flap10  10-node line whose links go down and up on a seeded schedule
 *           while mail flows: nothing lost (all arrive once links settle)
 *   islands two 5-node lines joined by one slow link (tbf 1 mbit, 400 ms)
 *   mdns    two single-link namespaces that find each other by mDNS
 *
 * Usage (docs/PERFORMANCE.md): bundle with esbuild, then
 *   node --import ./node/polyfill.js bench/.build/lab.mjs [--only mesh5,line10] [--seed N]
 */
import { Lab, lineEdges, gridEdges, islandEdges, type Edge } from './lab/lab.js'
import { labUnavailable } from './lab/netns.js'
import { seededRandom } from './sim/random.js'

const argv = process.argv
const argOf = (name: string, def: string): string => { const i = argv.indexOf(`--${name}`); return i >= 0 && i + 1 < argv.length ? argv[i + 1] : def }
const only = argOf('only', 'mesh5,mesh25,line10,flap10,islands,mdns').split(',')
const seed = Number(argOf('seed', '7'))
const log = (line: string): void => { process.stderr.write(`[lab] ${line}\n`) }
const sleep = async (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))
/** gossipsub grafts on its 1 s heartbeat after subscriptions are exchanged. */
const MESH_SETTLE_MS = 2500

async function withLab<T> (name: string, n: number, edges: Edge[], fn: (lab: Lab) => Promise<T>, extra: { slow?: number[], mdns?: boolean } = {}): Promise<T | { error: string }> {
  log(`${name}: ${n} nodes, ${edges.length} links`)
  const t = Date.now()
  let lab: Lab | undefined
  try {
    lab = await Lab.start({ n, edges, tag: name, log, ...extra })
    return await fn(lab)
  } catch (err) {
    log(`${name} failed: ${(err as Error).stack ?? ''}`)
    return { error: (err as Error).message }
  } finally {
    await lab?.close()
    log(`${name}: done in ${Date.now() - t} ms`)
  }
}

/** `count` DMs between seeded random pairs, `gapMs` apart; latency of each (lab send call → recipient's 'message' event). */
async function latencyRun (lab: Lab, count: number, gapMs: number, random: () => number, pick?: () => [number, number]): Promise<Record<string, unknown>> {
  const connectMs = await lab.connected(60_000)
  await sleep(MESH_SETTLE_MS)
  const n = lab.nodes.length
  for (let k = 0; k < count; k++) {
    let [a, b] = pick?.() ?? [Math.floor(random() * n), Math.floor(random() * (n - 1))]
    if (pick === undefined && b >= a) b++
    await lab.send(a, b, `lab #${k}`)
    await sleep(gapMs)
  }
  const last = await lab.allDelivered(30_000)
  return { connectMs, messages: lab.sent.length, delivered: lab.sent.length - lab.undelivered().length, duplicates: lab.duplicates(), latencyMs: lab.latencies(), allArrived: last !== undefined }
}

const results: Record<string, unknown> = {}
const unavailable = labUnavailable()
if (unavailable !== undefined) {
  console.log(JSON.stringify({ bench: 'lab', skipped: unavailable }))
  process.exit(0)
}

if (only.includes('mesh5')) {
  const ring: Edge[] = [...lineEdges(5), [4, 0]]
  results.mesh5 = await withLab('mesh5', 5, ring, async lab => latencyRun(lab, 30, 300, seededRandom(seed)))
}
if (only.includes('mesh25')) {
  results.mesh25 = await withLab('mesh25', 25, gridEdges(5, 5), async lab => latencyRun(lab, 40, 300, seededRandom(seed + 1)))
}
if (only.includes('line10')) {
  results.line10 = await withLab('line10', 10, lineEdges(10), async lab => {
    await lab.connected(60_000)
    await sleep(MESH_SETTLE_MS)
    const random = seededRandom(seed + 2)
    for (let k = 0; k < lab.links.length; k++) lab.setLink(k, false)
    // Mail written while every radio link is down: both ends of the line and random pairs.
    await lab.send(0, 9, 'end to end'); await lab.send(9, 0, 'and back')
    for (let k = 0; k < 8; k++) { const a = Math.floor(random() * 10); await lab.send(a, (a + 1 + Math.floor(random() * 9)) % 10, `queued #${k}`) }
    const downMs = 15_000
    await sleep(downMs)
    const upAt = Date.now()
    for (let k = 0; k < lab.links.length; k++) lab.setLink(k, true)
    const last = await lab.allDelivered(60_000)
    return {
      linksDownMs: downMs,
      messages: lab.sent.length,
      delivered: lab.sent.length - lab.undelivered().length,
      convergedMs: last === undefined ? null : last - upAt,
      duplicates: lab.duplicates()
    }
  })
}
if (only.includes('flap10')) {
  results.flap10 = await withLab('flap10', 10, lineEdges(10), async lab => {
    await lab.connected(60_000)
    await sleep(MESH_SETTLE_MS)
    const random = seededRandom(seed + 3)
    // Each link toggles every 2–6 s for 40 s; a message every 500 ms between random pairs.
    const windowMs = 40_000
    const next = lab.links.map(() => Date.now() + 2000 + random() * 4000)
    const up = lab.links.map(() => true)
    let flaps = 0
    const t0 = Date.now()
    let k = 0
    while (Date.now() - t0 < windowMs) {
      for (let i = 0; i < next.length; i++) {
        if (Date.now() >= next[i]) { up[i] = !up[i]; lab.setLink(i, up[i]); flaps++; next[i] = Date.now() + 2000 + random() * 4000 }
      }
      const a = Math.floor(random() * 10)
      await lab.send(a, (a + 1 + Math.floor(random() * 9)) % 10, `flap #${k++}`).catch(err => log(`send failed: ${(err as Error).message}`))
      await sleep(500)
    }
    const settledAt = Date.now()
    for (let i = 0; i < lab.links.length; i++) if (!up[i]) lab.setLink(i, true)
    const last = await lab.allDelivered(90_000)
    return {
      windowMs, flaps, messages: lab.sent.length,
      delivered: lab.sent.length - lab.undelivered().length,
      lost: lab.undelivered().length,
      lastArrivalAfterSettleMs: last === undefined ? null : Math.max(0, last - settledAt),
      duplicates: lab.duplicates(),
      latencyMs: lab.latencies()
    }
  })
}
if (only.includes('islands')) {
  const edges = islandEdges(5)
  results.islands = await withLab('islands', 10, edges, async lab => {
    const random = seededRandom(seed + 4)
    return latencyRun(lab, 20, 300, random, () => { const a = Math.floor(random() * 5); const b = 5 + Math.floor(random() * 5); return random() < 0.5 ? [a, b] : [b, a] })
  }, { slow: [edges.length - 1] })
}
if (only.includes('mdns')) {
  results.mdns = await withLab('mdns', 2, [[0, 1]], async lab => latencyRun(lab, 10, 300, seededRandom(seed + 5)), { mdns: true })
}

const med = (k: string): number | undefined => ((results[k] as { latencyMs?: { p50: number } } | undefined)?.latencyMs?.p50)
console.log(JSON.stringify({
  bench: 'lab',
  seed,
  node: process.version,
  results,
  goals: {
    dmMedianAtMostHalfSecond: { mesh5: med('mesh5'), mesh25: med('mesh25'), met: [med('mesh5'), med('mesh25')].every(x => x !== undefined && x <= 500) },
    line10ConvergesWithin10s: { convergedMs: (results.line10 as { convergedMs?: number } | undefined)?.convergedMs, met: ((results.line10 as { convergedMs?: number | null } | undefined)?.convergedMs ?? Infinity) <= 10_000 },
    nothingLostUnderFlapping: { lost: (results.flap10 as { lost?: number } | undefined)?.lost, met: (results.flap10 as { lost?: number } | undefined)?.lost === 0 }
  }
}, null, 1))
