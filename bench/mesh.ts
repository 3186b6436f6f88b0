/**
 * Mesh latency and memory. Prints ONE JSON object:
 *  - app: funkpost delivery latency over a 5-hop line (6 real nodes, loopback
 *    TCP, one process): send() called → 'message' event at the far end;
 *  - gossip: raw gossipsub publish → receive on the same nodes and links, on
 *    a test topic without a validator; gossipBare: the same on 6 bare
 *    libp2p+gossipsub nodes (funkpost's gossip options, nothing else);
 *  - ratio app/gossip (goal ≤ 1.2), and where the app time goes (per-hop
 *    'received' times, time inside send());
 *  - rss of one idle funkpost node (`funkpost start`, its own process) and of
 *    a bare `node -e "setInterval(…)"`, and their ratio (goal ≤ 2).
 *
 *   npx esbuild bench/mesh.ts --bundle --platform=node --format=esm --target=node20 \
 *     --external:classic-level --outfile=bench/.build/mesh.mjs \
 *     --banner:js="import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);"
 *   node --import ./node/polyfill.js bench/.build/mesh.mjs [--n 300] [--gap 5] [--quick]
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawn, type ChildProcess } from 'node:child_process'
import { startNode, link, meshReady, stopAll, waitFor, bareGossipNode, sealedDirect, type BareGossipNode } from '../tests/integration/helpers.js'
import crypto from 'node:crypto'
import type { FunkpostNode } from '../node/node.js'
import { Envelope } from '../mesh/envelope.js'
import { MAIL_TOPIC } from '../mesh/constants.js'
import { BACKOFF_BASE_MS } from '../store-forward/constants.js'

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : dflt
}
const quick = process.argv.includes('--quick')
const N = arg('n', quick ? 60 : 300)
const GAP_MS = arg('gap', 5)
const WARMUP = quick ? 10 : 30
const HOPS = 5
const RAW_TOPIC = '/funkpost-bench/raw/1'
const sleep = async (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

interface Stats { n: number, lost: number, p50: number, p90: number, p99: number, mean: number, max: number }
function stats (xs: number[], sent: number): Stats {
  const a = [...xs].sort((x, y) => x - y)
  const q = (p: number): number => a.length === 0 ? NaN : a[Math.min(a.length - 1, Math.floor(p * (a.length - 1)))]
  const r = (x: number): number => Math.round(x * 1000) / 1000
  return { n: a.length, lost: sent - a.length, p50: r(q(0.5)), p90: r(q(0.9)), p99: r(q(0.99)), mean: r(a.reduce((s, x) => s + x, 0) / Math.max(1, a.length)), max: r(q(1)) }
}

/** Raw gossipsub over a line of pubsub services: publish at [0], receive at the end. */
async function rawGossip (pubsubs: Array<BareGossipNode['services']['pubsub']>, size: number): Promise<Stats> {
  for (const p of pubsubs) p.subscribe(RAW_TOPIC)
  // Grafts happen on the 1 s heartbeat; measure only once every link is in the topic's mesh.
  const meshPeers = (p: unknown): number => (p as { getMeshPeers: (t: string) => string[] }).getMeshPeers(RAW_TOPIC).length
  await waitFor('raw topic mesh', () => pubsubs.every((p, i) => meshPeers(p) >= (i === 0 || i === pubsubs.length - 1 ? 1 : 2)), 15_000)
  const sentAt = new Map<number, number>()
  const lat: number[] = []
  const last = pubsubs[pubsubs.length - 1]
  last.addEventListener('message', evt => {
    if (evt.detail.topic !== RAW_TOPIC) return
    const body = Envelope.decode(evt.detail.data).body
    const seq = new DataView(body.buffer, body.byteOffset).getUint32(0)
    const t0 = sentAt.get(seq)
    if (t0 !== undefined && seq >= WARMUP) lat.push(performance.now() - t0)
  })
  for (let seq = 0; seq < WARMUP + N; seq++) {
    // Envelope-shaped (msgIdFn hashes the body), with a unique body; no validator runs on this topic.
    const body = new Uint8Array(Math.max(8, size - 72))
    new DataView(body.buffer).setUint32(0, seq)
    body.fill(seq & 0xff, 4)
    const data = Envelope.encode({ body, sig: new Uint8Array(64), hops: 0 })
    sentAt.set(seq, performance.now())
    await pubsubs[0].publish(RAW_TOPIC, data)
    await sleep(GAP_MS)
  }
  await waitFor('raw messages', () => lat.length >= N, 10_000).catch(() => {})
  for (const p of pubsubs) p.unsubscribe(RAW_TOPIC)
  return stats(lat, N)
}

async function meshOn (nodes: FunkpostNode[], topic: string): Promise<void> {
  const meshPeers = (n: FunkpostNode): number => (n.libp2p.services.pubsub as unknown as { getMeshPeers: (t: string) => string[] }).getMeshPeers(topic).length
  await waitFor(`mesh on ${topic}`, () => nodes.every((n, i) => meshPeers(n) >= (i === 0 || i === nodes.length - 1 ? 1 : 2)), 15_000)
}

const envelopeIdHex = (data: Uint8Array): string => {
  try { return crypto.createHash('sha256').update(Envelope.decode(data).body).digest('hex') } catch { return '' }
}

async function appLatency (nodes: FunkpostNode[]): Promise<{ app: Stats, send: Stats, hops: Stats[], bytes: number }> {
  const [first, far] = [nodes[0], nodes[nodes.length - 1]]
  const sentAt = new Map<string, number>()
  const lat: number[] = []
  const inSend: number[] = []
  const hopAt: Array<Map<string, number>> = nodes.map(() => new Map())
  // gossip arrival (validated, about to be forwarded) at each hop
  nodes.forEach((n, i) => n.libp2p.services.pubsub.addEventListener('message', evt => {
    if (i === 0 || evt.detail.topic !== MAIL_TOPIC) return
    const id = envelopeIdHex(evt.detail.data)
    if (!hopAt[i].has(id)) hopAt[i].set(id, performance.now())
  }))
  far.on('message', e => {
    const seq = Number(e.text.split(' ')[1])
    const t0 = sentAt.get(e.text)
    if (t0 !== undefined && seq >= WARMUP) lat.push(performance.now() - t0)
  })
  const ids: Array<{ id: string, t0: number, seq: number }> = []
  let bytes = 0
  for (let seq = 0; seq < WARMUP + N; seq++) {
    const text = `msg ${seq} ${'x'.repeat(100)}`
    const t0 = performance.now()
    sentAt.set(text, t0)
    const id = await first.send(far.id, text)
    if (seq === 0) bytes = (await first.envelopes.get(id))?.length ?? 0
    if (seq >= WARMUP) inSend.push(performance.now() - t0)
    ids.push({ id, t0, seq })
    await sleep(GAP_MS)
  }
  await waitFor('app messages', () => lat.length >= N, 20_000).catch(() => {})
  const hops = nodes.slice(1).map((_, k) => stats(ids.filter(x => x.seq >= WARMUP && hopAt[k + 1].has(x.id)).map(x => (hopAt[k + 1].get(x.id) ?? 0) - x.t0), N))
  return { app: stats(lat, N), send: stats(inSend, N), hops, bytes }
}

function rssMiB (pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m === null ? NaN : Math.round(Number(m[1]) / 102.4) / 10
}

/** Start a process, wait for `ready` in its output, idle `idleMs`, read its RSS (median of 5 samples), stop it. */
async function idleRss (cmd: string, args: string[], ready: RegExp | undefined, idleMs: number, env: Record<string, string> = {}): Promise<number> {
  const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: process.cwd(), env: { ...process.env, ...env } })
  let out = ''
  child.stdout?.on('data', b => { out += String(b) })
  child.stderr?.on('data', b => { out += String(b) })
  try {
    if (ready !== undefined) await waitFor(`${cmd} ready`, () => ready.test(out) || child.exitCode !== null, 30_000, 50)
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited: ${out}`)
    await sleep(idleMs)
    const samples: number[] = []
    for (let i = 0; i < 5; i++) { samples.push(rssMiB(child.pid ?? -1)); await sleep(200) }
    return samples.sort((a, b) => a - b)[2]
  } finally {
    child.kill('SIGTERM')
    await Promise.race([new Promise(resolve => child.once('exit', resolve)), sleep(5000)])
    if (child.exitCode === null) child.kill('SIGKILL')
  }
}

async function rss (): Promise<Record<string, unknown>> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'fp-bench-rss-'))
  const idleMs = quick ? 2000 : 5000
  try {
    const bin = path.join(process.cwd(), 'cli', 'bin.js')
    const init = spawn(process.execPath, [bin, '--home', home, 'init', '--name', 'bench'], { stdio: 'ignore' })
    await new Promise(resolve => init.once('exit', resolve))
    const start = [bin, '--home', home, 'start', '--no-mdns', '--no-dht', '--listen', '/ip4/127.0.0.1/tcp/0']
    const funkpost = await idleRss(process.execPath, start, /control socket/, idleMs)
    // The same with a small young generation and one malloc arena (flags an init script can set).
    const tuned = await idleRss(process.execPath, ['--max-semi-space-size=1', ...start], /control socket/, idleMs, { MALLOC_ARENA_MAX: '1' })
    const bare = await idleRss(process.execPath, ['-e', 'setInterval(()=>{},1000)'], undefined, idleMs)
    const ratio = (x: number): number => Math.round(x / bare * 100) / 100
    return {
      funkpostMiB: funkpost, bareNodeMiB: bare, ratio: ratio(funkpost), goal: 2,
      tunedMiB: tuned, tunedRatio: ratio(tuned), tunedHow: 'MALLOC_ARENA_MAX=1 node --max-semi-space-size=1',
      how: `node cli/bin.js start --no-mdns --no-dht (dist/funkpost.js bundle), RSS after ${idleMs} ms idle`
    }
  } catch (err) {
    return { error: (err as Error).message.slice(0, 500) }
  } finally {
    fs.rmSync(home, { recursive: true, force: true })
  }
}

async function main (): Promise<void> {
  const nodes: FunkpostNode[] = []
  const bare: BareGossipNode[] = []
  try {
    // production outbox backoff (tests shrink it)
    for (let i = 0; i <= HOPS; i++) nodes.push(await startNode({ name: `n${i}`, backoffBaseMs: BACKOFF_BASE_MS }))
    for (let i = 0; i < HOPS; i++) await link(nodes[i], nodes[i + 1])
    await meshReady(nodes, 20_000)
    await meshOn(nodes, MAIL_TOPIC)
    const load = [os.loadavg()[0]]
    // raw gossip carries payloads as large as the app's envelopes
    const size = sealedDirect(nodes[0].identity, nodes[HOPS].identity, `msg 0 ${'x'.repeat(100)}`).bytes.length
    const gossip = await rawGossip(nodes.map(n => n.libp2p.services.pubsub), size)
    const app = await appLatency(nodes)
    await stopAll(nodes)
    nodes.length = 0

    for (let i = 0; i <= HOPS; i++) bare.push(await bareGossipNode())
    for (let i = 0; i < HOPS; i++) await bare[i].dial(bare[i + 1].getMultiaddrs()[0])
    const gossipBare = await rawGossip(bare.map(b => b.services.pubsub), app.bytes)
    await Promise.all(bare.map(async b => b.stop()))
    bare.length = 0

    load.push(os.loadavg()[0])
    const memory = await rss()
    const r = (x: number): number => Math.round(x * 100) / 100
    console.log(JSON.stringify({
      bench: 'mesh',
      node: process.version,
      loadavg1: load.map(x => Math.round(x * 10) / 10),
      cpus: os.cpus().length,
      topology: `line of ${HOPS + 1} nodes (${HOPS} hops), loopback TCP, one process`,
      messages: N,
      warmup: WARMUP,
      gapMs: GAP_MS,
      envelopeBytes: app.bytes,
      latencyMs: { app: app.app, gossip, gossipBare },
      ratio: { p50: r(app.app.p50 / gossip.p50), p99: r(app.app.p99 / gossip.p99), p50VsBare: r(app.app.p50 / gossipBare.p50), goal: 1.2 },
      breakdownMs: {
        insideSend: app.send,
        gossipArrivalAtHop: app.hops.map((h, i) => ({ hop: i + 1, p50: h.p50, p99: h.p99 }))
      },
      rss: memory
    }))
  } finally {
    await stopAll(nodes)
    await Promise.all(bare.map(async b => b.stop()))
  }
}

await main()
process.exit(0)
