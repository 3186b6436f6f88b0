/**
 * Replays a scenario on real FunkpostNodes — real libp2p over the memory
 * transport, real LevelDB homes on disk, real crypto — in this one process.
 * Links exist only along the graph's edges (the lower index dials); a
 * partition hangs those links up and a guard closes any connection that is
 * not an allowed link; churn stops a node and starts a new one on the same
 * home (LevelDB reopened, in-memory caches lost, as after a process restart).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { FunkpostNode } from '../../node/node.js'
import { identityFromSeed, type Identity } from '../../node/identity.js'
import { MAIL_TOPIC, ANNOUNCE_TOPIC } from '../../mesh/constants.js'
import { deriveSeed, seededRandom } from './random.js'
import { edgeKey, adjacency } from './topology.js'
import { timeline, type Scenario } from './scenario.js'
import { Tally, type RunReport } from './report.js'

export interface RealRunInit {
  scenario: Scenario
  pubsub: 'gossipsub' | 'floodsub'
  /** Custody quota of every node, bytes. */
  quotaBytes: number
  /** Custody sampling period, ms. @default 250 */
  sampleMs?: number
  /** Progress lines go here (stderr in the bench). */
  log?: (line: string) => void
}

let runCounter = 0

const sleep = async (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, Math.max(0, ms)))

export async function runReal (init: RealRunInit): Promise<RunReport> {
  const s = init.scenario
  const n = s.init.n
  const log = init.log ?? (() => {})
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `fpsim-${process.pid}-`))
  const run = ++runCounter
  const identities: Identity[] = s.identitySeeds.map(seed => identityFromSeed(seed))
  const adj = adjacency(n, s.graph.edges)
  const allowed = new Set(s.graph.edges.map(([a, b]) => edgeKey(a, b)))
  const cut = new Set<string>()
  const nodes: Array<FunkpostNode | undefined> = new Array(n).fill(undefined)
  const ready: Array<Promise<unknown>> = new Array(n).fill(Promise.resolve())
  const byPeer = new Map(identities.map((id, i) => [id.id, i]))
  const tally = new Tally(s, init.quotaBytes)
  let guardClosed = 0

  const make = (i: number): FunkpostNode => new FunkpostNode({
    home: path.join(root, `n${i}`),
    identity: identities[i],
    name: `n${i}`,
    listen: [`/memory/fpsim-${process.pid}-${run}-${i}`],
    memory: true,
    mdns: false,
    dht: false,
    quotaBytes: init.quotaBytes,
    random: seededRandom(deriveSeed(s.init.seed, `node${i}`)),
    pubsub: init.pubsub
  })

  /** Count what leaves this node: pubsub message copies (by topic), sync envelopes, deliver hand-overs. */
  /** Event counters go on before start: a neighbour may reconnect and deliver while a restarted node is still starting. */
  const listen = (i: number, node: FunkpostNode): void => {
    node.on('message', e => tally.received(e.id, i))
    node.on('delivered', e => tally.acked(e.id))
    node.on('received', e => { if (e.via === 'deliver') tally.tx.deliver++ })
  }

  const attach = (i: number, node: FunkpostNode): void => {
    const ps = node.libp2p.services.pubsub as unknown as { sendRpc: (peer: unknown, rpc: { messages?: Array<{ topic?: string }> }) => unknown }
    const orig = ps.sendRpc.bind(ps)
    ps.sendRpc = (peer, rpc) => {
      const r = orig(peer, rpc)
      if (r !== false) {
        for (const m of rpc.messages ?? []) {
          if (m.topic === MAIL_TOPIC) tally.tx.gossip++
          else if (m.topic === ANNOUNCE_TOPIC) tally.tx.announce++
        }
      }
      return r
    }
    // Radio range: a connection that is not an allowed, uncut link is closed at once.
    node.libp2p.addEventListener('connection:open', evt => {
      const j = byPeer.get(evt.detail.remotePeer.toString())
      const k = j === undefined ? '' : edgeKey(i, j)
      if (j === undefined || !allowed.has(k) || cut.has(k)) { guardClosed++; void evt.detail.close().catch(() => {}) }
    })
  }

  const retire = (node: FunkpostNode): void => {
    tally.syncStats(node.sync.stats)
  }

  const linkUp = (a: number, b: number): boolean =>
    allowed.has(edgeKey(a, b)) && !cut.has(edgeKey(a, b)) && nodes[a] !== undefined && nodes[b] !== undefined

  const dial = async (a: number, b: number): Promise<void> => {
    const [lo, hi] = a < b ? [a, b] : [b, a]
    const x = nodes[lo]; const y = nodes[hi]
    if (x === undefined || y === undefined || !linkUp(lo, hi)) return
    try {
      await x.libp2p.dial(y.libp2p.getMultiaddrs()[0], { signal: AbortSignal.timeout(10000) })
    } catch (err) {
      tally.dialFailures++
      log(`dial n${lo}→n${hi} failed: ${(err as Error).message}`)
    }
  }

  const hangUp = async (a: number, b: number): Promise<void> => {
    const x = nodes[a]; const y = nodes[b]
    if (x === undefined || y === undefined) return
    await x.libp2p.hangUp(y.libp2p.peerId).catch(() => {})
    await y.libp2p.hangUp(x.libp2p.peerId).catch(() => {})
  }

  const startNode = async (i: number): Promise<void> => {
    const node = make(i)
    listen(i, node)
    await node.start()
    nodes[i] = node
    attach(i, node)
  }

  const eld = monitorEventLoopDelay({ resolution: 10 })
  const started = Date.now()
  let sampler: NodeJS.Timeout | undefined
  try {
    // ---- set up: all nodes, all links, gossip meshes formed ----
    for (let i = 0; i < n; i += 10) await Promise.all(Array.from({ length: Math.min(10, n - i) }, async (_, k) => startNode(i + k)))
    for (let i = 0; i < s.graph.edges.length; i += 16) await Promise.all(s.graph.edges.slice(i, i + 16).map(async ([a, b]) => dial(a, b)))
    const deadline = Date.now() + 60_000
    while (Date.now() < deadline) {
      const ok = nodes.every(x => x !== undefined && x.libp2p.services.pubsub.getSubscribers(MAIL_TOPIC).length >= Math.min(x.libp2p.getPeers().length, 1) && x.libp2p.getPeers().length > 0)
      if (ok) break
      await sleep(100)
    }
    await sleep(1500) // gossipsub grafts on its 1 s heartbeat
    const setupMs = Date.now() - started
    log(`${init.pubsub} n=${n}: ${s.graph.edges.length} links up in ${setupMs} ms`)
    tally.resetTx()
    for (const x of nodes) if (x !== undefined) tally.syncBaseline(x.sync.stats)

    // ---- the window: replay the timeline ----
    eld.enable()
    const t0 = Date.now()
    sampler = setInterval(() => { tally.sample(Date.now() - t0, nodes.map(x => x?.envelopes.stats().custody.bytes)) }, init.sampleMs ?? 250)
    const pending: Array<Promise<unknown>> = []
    for (const ev of timeline(s)) {
      await sleep(t0 + ev.at - Date.now())
      switch (ev.type) {
        case 'send': {
          const { from, to, idx } = ev.send
          const p = ready[from].then(async () => {
            const node = nodes[from]
            if (node === undefined) { tally.sendFailures++; return }
            const at = Date.now()
            const id = await node.send(identities[to].id, `sim #${idx} n${from}→n${to}`)
            tally.sent(idx, id, at)
          }).catch(err => { tally.sendFailures++; log(`send #${idx} failed: ${(err as Error).message}`) })
          pending.push(p)
          break
        }
        case 'down': {
          const i = ev.node
          ready[i] = ready[i].then(async () => {
            const node = nodes[i]
            nodes[i] = undefined
            if (node !== undefined) { retire(node); await node.stop() }
          })
          pending.push(ready[i])
          break
        }
        case 'up': {
          const i = ev.node
          ready[i] = ready[i].then(async () => {
            await startNode(i)
            // A neighbour still restarting dials us when it is up (whichever of the two starts last sees the other).
            await Promise.all(adj[i].map(async j => dial(i, j)))
          }).catch(err => log(`restart n${i} failed: ${(err as Error).message}`))
          pending.push(ready[i])
          break
        }
        case 'cut':
          for (const [a, b] of ev.cut) cut.add(edgeKey(a, b))
          pending.push(Promise.all(ev.cut.map(async ([a, b]) => hangUp(a, b))))
          break
        case 'heal':
          for (const [a, b] of ev.cut) cut.delete(edgeKey(a, b))
          pending.push(Promise.all(ev.cut.map(async ([a, b]) => dial(a, b))))
          break
      }
    }
    await Promise.all(pending)
    const windowEnd = Date.now()
    // ---- drain: until every message arrived and was acknowledged, or the drain time is up ----
    while (Date.now() - windowEnd < s.init.drainMs && !tally.allAcked()) await sleep(100)
    await sleep(1000) // trailing ACK floods
    tally.windowMs = windowEnd - t0
    tally.drainMs = Date.now() - windowEnd
    tally.setupMs = setupMs
    clearInterval(sampler)
    tally.sample(Date.now() - t0, nodes.map(x => x?.envelopes.stats().custody.bytes))
    for (const x of nodes) if (x !== undefined) retire(x)
    for (const [id, st] of tally.sends) {
      if (tally.latency.has(id)) continue
      const idx = st.idx
      const snd = s.sends[idx]
      const holders = nodes.filter(x => x?.envelopes.has(id)).length
      const rcpt = nodes[snd.to]
      log(`undelivered #${idx} n${snd.from}→n${snd.to}: held by ${holders} nodes; recipient history ${String(rcpt?.history.has(id))}, tombstoned ${String(rcpt?.envelopes.isTombstoned(id))}; sender outbox ${String(nodes[snd.from]?.outbox.has(id))}; recipient peers ${rcpt?.libp2p.getPeers().length}`)
    }
    eld.disable()
    return tally.report({
      kind: 'real',
      router: init.pubsub,
      wallMs: Date.now() - started,
      eventLoopDelayMs: { p50: Math.round(eld.percentile(50) / 1e6), p99: Math.round(eld.percentile(99) / 1e6), max: Math.round(eld.max / 1e6) },
      guardClosed
    })
  } finally {
    if (sampler !== undefined) clearInterval(sampler)
    await Promise.all(nodes.map(async x => x?.stop().catch(() => {})))
    fs.rmSync(root, { recursive: true, force: true })
  }
}
