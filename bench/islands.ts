/**
 * Two islands heal. Prints ONE JSON object: two islands of N nodes each
 * (memory transport, one process, real LevelDB in temp homes, product
 * defaults for sync interval and backoff), M direct messages sent across the
 * gap while split (half each way, random sender and recipient), then one link
 * joins the islands. Figures: time from the join until every message is
 * delivered, ACKed at its author, and gone from every node's custody; sync
 * bytes and sessions (node.sync.stats), gossip verdicts, receive codes,
 * duplicates at recipients (must be 0).
 *
 *   npx esbuild bench/islands.ts --bundle --platform=node --format=esm --target=node20 \
 *     --external:classic-level --banner:js="import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" \
 *     --outfile=bench/.build/islands.mjs && node --import ./node/polyfill.js bench/.build/islands.mjs [--nodes 10] [--messages 1000] [--seed 1]
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { FunkpostNode } from '../node/node.js'
import { identityFromSeed } from '../node/identity.js'

function arg (name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? Number(process.argv[i + 1]) : dflt
}

const N = arg('nodes', 10)
const M = arg('messages', 1000)
const SEED = arg('seed', 1)
const LIMIT_MS = arg('limit', 120_000)

function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = Math.imul(a ^ (a >>> 15), 1 | a)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}
const rnd = prng(SEED)

async function waitFor (fn: () => boolean, ms: number, stepMs = 20): Promise<boolean> {
  const end = Date.now() + ms
  while (!fn()) {
    if (Date.now() > end) return false
    await new Promise(resolve => setTimeout(resolve, stepMs))
  }
  return true
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fp-islands-'))
let seq = 0
async function start (name: string): Promise<FunkpostNode> {
  const seed = new Uint8Array(32)
  new DataView(seed.buffer).setUint32(0, SEED)
  new DataView(seed.buffer).setUint32(4, ++seq)
  const node = new FunkpostNode({
    home: path.join(root, name), identity: identityFromSeed(seed), name,
    listen: [`/memory/islands-${process.pid}-${name}`], memory: true, mdns: false, dht: false
  })
  await node.start()
  return node
}

/** A ring with two chords: every node has 2–3 links, diameter about N/3. */
async function island (prefix: string): Promise<FunkpostNode[]> {
  const nodes: FunkpostNode[] = []
  for (let i = 0; i < N; i++) nodes.push(await start(`${prefix}${i}`))
  const edges: Array<[number, number]> = []
  for (let i = 0; i < N; i++) edges.push([i, (i + 1) % N])
  if (N >= 6) edges.push([0, Math.floor(N / 2)], [Math.floor(N / 4), Math.floor(3 * N / 4)])
  for (const [a, b] of edges) if (a !== b) await nodes[a].libp2p.dial(nodes[b].libp2p.getMultiaddrs()[0])
  return nodes
}

const t0 = Date.now()
const west = await island('w')
const east = await island('e')
const all = [...west, ...east]
await waitFor(() => all.every(n => n.libp2p.services.pubsub.getSubscribers('/funkpost/mail/1').length >= 2), 20_000)
await new Promise(resolve => setTimeout(resolve, 1500)) // gossipsub grafts on its 1 s heartbeat
const startupMs = Date.now() - t0

const recipient = new Map<string, FunkpostNode>()
const author = new Map<string, FunkpostNode>()
const counts = new Map<string, number>()
let misdelivered = 0
for (const n of all) {
  n.on('message', e => {
    counts.set(e.id, (counts.get(e.id) ?? 0) + 1)
    if (recipient.get(e.id) !== n) misdelivered++
  })
}
const pick = (xs: FunkpostNode[]): FunkpostNode => xs[Math.floor(rnd() * xs.length)]
const ids: string[] = []
const sendStart = Date.now()
for (let i = 0; i < M; i++) {
  const [from, to] = i % 2 === 0 ? [pick(west), pick(east)] : [pick(east), pick(west)]
  const id = await from.send(to.id, `message ${i} across the gap`)
  ids.push(id)
  recipient.set(id, to)
  author.set(id, from)
}
const sendMs = Date.now() - sendStart
const [wl, el] = [west[0], east[0]]
const spread = await waitFor(() => ids.every(id => {
  const home = west.includes(author.get(id)!) ? wl : el
  return home.envelopes.has(id) || author.get(id) === home
}), 60_000)
const spreadMs = Date.now() - sendStart
const deliveredEarly = counts.size

const syncBefore = all.map(n => ({ ...n.sync.stats }))
const cpuBefore = process.cpuUsage()
const joinAt = Date.now()
if (process.env.ISLANDS_TRACE !== undefined) { // progress on stderr
  const tr = setInterval(() => {
    console.error(`+${Date.now() - joinAt} ms delivered=${counts.size} acked=${ids.filter(id => author.get(id)!.history.get(id)?.status === 'delivered').length} linkSync=${JSON.stringify([wl.sync.stats, el.sync.stats])}`)
  }, 500)
  tr.unref()
}
await wl.libp2p.dial(el.libp2p.getMultiaddrs()[0])
const okDelivered = await waitFor(() => counts.size === M, LIMIT_MS)
const deliveredMs = Date.now() - joinAt
const okAcked = await waitFor(() => ids.every(id => author.get(id)!.history.get(id)?.status === 'delivered'), LIMIT_MS)
const ackedMs = Date.now() - joinAt
const okCustody = await waitFor(() => all.every(n => ids.every(id => !n.envelopes.has(id))), LIMIT_MS)
const custodyMs = Date.now() - joinAt
const cpu = process.cpuUsage(cpuBefore)
await new Promise(resolve => setTimeout(resolve, 1000))

const sum = (f: (n: FunkpostNode, i: number) => number): number => all.reduce((s, n, i) => s + f(n, i), 0)
const gossip = { valid: 0, duplicate: 0, invalid: 0, ignored: {} as Record<string, number> }
for (const n of all) {
  gossip.valid += n.gossip.stats.valid
  gossip.duplicate += n.gossip.stats.duplicate
  gossip.invalid += Object.values(n.gossip.stats.invalid).reduce((a, b) => a + b, 0)
  for (const [k, v] of Object.entries(n.gossip.stats.ignored)) gossip.ignored[k] = (gossip.ignored[k] ?? 0) + v
}
const received: Record<string, number> = {}
for (const n of all) for (const [k, v] of Object.entries(n.status().received)) received[k] = (received[k] ?? 0) + v
const linkSync = (n: FunkpostNode, i: number): object => ({ ...n.sync.stats, bytesIn: n.sync.stats.bytesIn - syncBefore[i].bytesIn, bytesOut: n.sync.stats.bytesOut - syncBefore[i].bytesOut })

console.log(JSON.stringify({
  bench: 'islands',
  nodesPerIsland: N,
  messages: M,
  seed: SEED,
  transport: 'memory',
  cpus: os.cpus().length,
  node: process.version,
  startupMs,
  sendMs,
  spreadMs: spread ? spreadMs : null,
  deliveredBeforeJoin: deliveredEarly,
  afterJoin: {
    deliveredMs: okDelivered ? deliveredMs : null,
    ackedMs: okAcked ? ackedMs : null,
    custodyClearedMs: okCustody ? custodyMs : null,
    /** CPU time this process used from the join until custody was clear: on an idle core, about the wall time. */
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    loadAverage: os.loadavg().map(x => Math.round(x * 10) / 10),
    goalMs: 10_000,
    metGoal: okAcked && ackedMs <= 10_000
  },
  delivered: counts.size,
  duplicatesAtRecipients: [...counts.values()].filter(c => c > 1).length,
  misdelivered,
  outboxLeft: sum(n => n.outbox.size),
  sync: {
    sessions: sum(n => n.sync.stats.sessions),
    failed: sum(n => n.sync.stats.failed),
    bytesAfterJoin: sum((n, i) => n.sync.stats.bytesOut - syncBefore[i].bytesOut),
    envelopesAfterJoin: sum((n, i) => n.sync.stats.envelopesOut - syncBefore[i].envelopesOut),
    linkWest: linkSync(wl, 0),
    linkEast: linkSync(el, N)
  },
  gossip,
  received,
  rssMiB: Math.round(process.memoryUsage().rss / 1048576)
}))

await Promise.all(all.map(async n => n.stop().catch(() => {})))
fs.rmSync(root, { recursive: true, force: true })
process.exit(0)
