/**
 * The protocol-level model: a discrete-event replay of a scenario with the
 * node's decisions (custody, ACKs and tombstones, outbox retries, direct
 * hand-over to a linked recipient, gossip publish/forward, sync on contact
 * and every SYNC_INTERVAL_MS) but no sockets, signatures or encryption.
 * Time is simulated (a hop takes 1–4 ms), so 10,000 nodes fit in one
 * process. Counts use the same Tally as the real-stack runner.
 */
import { MAX_HOPS, DEFAULT_LIFETIME_MS } from '../../mesh/constants.js'
import { SYNC_INTERVAL_MS } from '../../store-forward/constants.js'
import { PROFILES } from '../../node/profiles.js'
import { deriveSeed, seededRandom } from '../sim/random.js'
import { adjacency, edgeKey } from '../sim/topology.js'
import { timeline, type Scenario, type TimelineEvent } from '../sim/scenario.js'
import { Tally, type RunReport } from '../sim/report.js'
import { EventQueue } from './queue.js'
import { Overlay, HEARTBEAT_MS, type Router } from './mesh.js'
import { ModelNode, makeDm, makeAck, type Msg } from './node.js'

export interface ModelInit {
  scenario: Scenario
  router: Router
  quotaBytes: number
  /** @default 250 (1000 above 1,000 nodes) */
  sampleMs?: number
  /** Outbox backoff base, ms. @default BACKOFF_BASE_MS */
  backoffBaseMs?: number
  /** @default SYNC_INTERVAL_MS */
  syncIntervalMs?: number
}

type Ev = { at: number, seq: number } & (
  | { type: 'timeline', ev: TimelineEvent }
  | { type: 'gossip', to: number, from: number, msg: Msg, hops: number }
  | { type: 'deliver', to: number, from: number, msg: Msg, hops: number }
  | { type: 'answer', to: number, from: number, msg: Msg, ack?: Msg }
  | { type: 'sync', to: number, from: number, msg: Msg, hops: number }
  | { type: 'session', a: number, b: number }
  | { type: 'pump', node: number, token: number }
  | { type: 'syncTick', node: number, life: number }
  | { type: 'heartbeat' }
  | { type: 'sample' })

const EPOCH = 1_700_000_000_000

export async function runModel (init: ModelInit): Promise<RunReport> {
  const s = init.scenario
  const n = s.init.n
  const started = Date.now()
  const random = seededRandom(deriveSeed(s.init.seed, `model:${init.router}`))
  const hop = (): number => 1 + random() * 3
  let now = 0
  const clock = (): number => EPOCH + now
  const keys = s.identitySeeds
  const limits = { ...PROFILES.laptop, custodyBytes: init.quotaBytes }
  const nodes: ModelNode[] = []
  for (let i = 0; i < n; i++) nodes.push(await ModelNode.create(i, keys[i], limits, clock, seededRandom(deriveSeed(s.init.seed, `node${i}`)), init.backoffBaseMs))
  const adj = adjacency(n, s.graph.edges)
  const cut = new Set<string>()
  const overlay = new Overlay(n, init.router, random)
  const q = new EventQueue<Ev>()
  const tally = new Tally(s, init.quotaBytes)
  const msgs = new Map<string, Msg>()
  const ihave: Array<{ x: number, from: number, msg: Msg, hops: number }> = []
  const syncMs = init.syncIntervalMs ?? SYNC_INTERVAL_MS
  const sampleMs = init.sampleMs ?? (n > 1000 ? 1000 : 250)
  let syncBytes = 0; let sessions = 0

  const at = (dt: number, e: Record<string, unknown>): void => q.push({ ...e, at: now + dt } as unknown as Ev)
  const linked = (a: number, b: number): boolean => nodes[a].up && nodes[b].up && overlay.isLinked(a, b)

  // ---- pubsub ----
  const send = (x: number, y: number, msg: Msg, hops: number, extraHops = 0): void => {
    tally.tx.gossip++
    at(hop() * (1 + extraHops), { type: 'gossip', to: y, from: x, msg, hops })
  }
  const publish = (x: number, msg: Msg, hops: number): number => {
    nodes[x].seen.add(msg.hex)
    const targets = overlay.publishTargets(x)
    for (const y of targets) send(x, y, msg, hops)
    return targets.length
  }
  const onGossip = async (x: number, from: number, msg: Msg, hops: number): Promise<void> => {
    const node = nodes[x]
    if (!linked(x, from)) return
    if (node.seen.has(msg.hex)) return
    node.seen.add(msg.hex)
    if (node.knows(msg.hex)) return
    for (const y of overlay.forwardTargets(x, from)) send(x, y, msg, hops)
    if (init.router === 'gossipsub') ihave.push({ x, from, msg, hops })
    await accept(x, msg, 'gossip', hops)
  }

  // ---- the mailroom (store-forward/mailroom.ts, node.ts accept) ----
  const accept = async (x: number, msg: Msg, via: 'gossip' | 'deliver' | 'sync', hops: number): Promise<Msg | undefined> => {
    const node = nodes[x]
    if (msg.kind === 'dm' && msg.to === x) {
      let ack = node.history.get(msg.hex)
      if (ack === undefined && !node.envelopes.isTombstoned(msg.hex, node.keyHex)) {
        ack = makeAck(msg, keys, clock())
        msgs.set(ack.hex, ack)
        node.history.set(msg.hex, ack)
        tally.received(msg.hex, x, now)
        await node.envelopes.hold(ack.v, ack.bytes, 'own', 0)
        await node.envelopes.remove(msg.hex, { expires: msg.v.body.expires, ackFrom: node.keyHex })
      }
      if (ack !== undefined) publish(x, ack, 0)
      return ack
    }
    if (msg.kind === 'ack') {
      await node.envelopes.applyAck(msg.v)
      const dm = msgs.get(`dm:${msg.idx}`)
      if (msg.to === x && dm !== undefined && node.outbox.has(dm.hex)) {
        await node.outbox.remove(dm.hex)
        node.inFlight.delete(dm.hex)
        tally.acked(dm.hex)
      }
    }
    if (node.envelopes.has(msg.hex) || node.envelopes.isTombstoned(msg.hex, keyHexOf(msg.to))) return undefined
    const held = via === 'gossip' ? hops : hops + 1
    const r = await node.envelopes.hold(msg.v, msg.bytes, 'custody', held)
    if (r === 'held' && via !== 'gossip' && hops + 1 < MAX_HOPS) publish(x, msg, held)
    return undefined
  }
  const keyHexOf = (i: number): string => nodes[i].keyHex

  // ---- the outbox pump (node.ts pump / attempt) ----
  const schedulePump = (x: number, t: number): void => {
    const node = nodes[x]
    if (!node.up) return
    at(Math.max(0, t - now), { type: 'pump', node: x, token: ++node.pumpToken })
  }
  const pump = async (x: number): Promise<void> => {
    const node = nodes[x]
    for (const e of node.outbox.due()) {
      if (node.inFlight.has(e.id)) continue
      const msg = msgs.get(e.id)
      if (msg === undefined) { await node.outbox.remove(e.id); continue }
      if (linked(x, msg.to)) {
        node.inFlight.add(e.id)
        tally.tx.deliver++
        at(hop(), { type: 'deliver', to: msg.to, from: x, msg, hops: node.envelopes.getMeta(e.id)?.hops ?? 0 })
      } else {
        await afterDirect(x, msg, false)
      }
    }
    const next = node.nextDue()
    if (next !== undefined) schedulePump(x, Math.max(now + 1, next - EPOCH))
  }
  const afterDirect = async (x: number, msg: Msg, sent: boolean): Promise<void> => {
    const node = nodes[x]
    node.inFlight.delete(msg.hex)
    if (!node.outbox.has(msg.hex) || !node.up) return
    const n = publish(x, msg, node.envelopes.getMeta(msg.hex)?.hops ?? 0)
    await node.outbox.attempted(msg.hex, sent || n > 0)
    const next = node.nextDue()
    if (next !== undefined) schedulePump(x, Math.max(now + 1, next - EPOCH))
  }

  // ---- sync (store-forward/sync.ts: reconcile, push what the peer lacks, pull what we lack) ----
  const outgoing = (x: number, ids: string[], peer: number): Msg[] => ids
    .map(id => ({ id, m: nodes[x].envelopes.getMeta(id) }))
    .filter(e => e.m !== undefined && (e.m.hops < MAX_HOPS || e.m.to === nodes[peer].keyHex))
    .map(e => msgs.get(e.id) as Msg)
  const session = (a: number, b: number): void => {
    if (!linked(a, b)) return
    sessions++
    const A = nodes[a].envelopes; const B = nodes[b].envelopes
    const have: string[] = []; const need: string[] = []
    for (const it of A.items()) if (!B.has(it.id)) have.push(it.id)
    for (const it of B.items()) if (!A.has(it.id) && !A.isTombstoned(it.id)) need.push(it.id)
    for (const m of outgoing(a, have, b)) {
      tally.tx.sync++; syncBytes += m.bytes.length
      at(hop() * 3, { type: 'sync', to: b, from: a, msg: m, hops: A.getMeta(m.hex)?.hops ?? 0 })
    }
    for (const m of outgoing(b, need, a)) {
      tally.tx.sync++; syncBytes += m.bytes.length
      at(hop() * 4, { type: 'sync', to: a, from: b, msg: m, hops: B.getMeta(m.hex)?.hops ?? 0 })
    }
  }

  // ---- links, churn, partitions ----
  const connect = (a: number, b: number): void => {
    if (!nodes[a].up || !nodes[b].up || cut.has(edgeKey(a, b)) || overlay.isLinked(a, b)) return
    overlay.linkUp(a, b)
    at(hop() * 2, { type: 'session', a: Math.min(a, b), b: Math.max(a, b) })
    for (const x of [a, b]) { void nodes[x].outbox.wake(); schedulePump(x, now) }
  }
  const startLife = (x: number): void => {
    const node = nodes[x]
    node.up = true; node.life++; node.seen = new Set()
    at(syncMs, { type: 'syncTick', node: x, life: node.life })
    for (const y of adj[x]) connect(x, y)
    schedulePump(x, now)
  }
  const stopLife = (x: number): void => {
    const node = nodes[x]
    node.up = false; node.life++; node.inFlight.clear(); node.pumpToken++
    for (const y of [...overlay.links[x]]) overlay.linkDown(x, y)
  }

  for (let i = 0; i < n; i++) startLife(i)
  // Warm-up: links and meshes form before the workload starts (as in the real runner).
  for (let hb = 0; hb < 5; hb++) overlay.heartbeat()
  q.push({ at: 0, type: 'heartbeat' } as Ev)
  q.push({ at: 0, type: 'sample' } as Ev)
  const t0 = 2000
  for (const ev of timeline(s)) q.push({ at: t0 + ev.at, type: 'timeline', ev } as Ev)
  const windowEnd = t0 + s.init.durationMs
  let drainEnd = windowEnd + s.init.drainMs
  let warm = true

  for (let e = q.pop(); e !== undefined; e = q.pop()) {
    now = e.at
    if (warm && now >= t0) { tally.resetTx(); syncBytes = 0; sessions = 0; warm = false }
    if (now > drainEnd) break
    if (now >= windowEnd && tally.allAcked() && drainEnd > now + 1000) drainEnd = now + 1000
    switch (e.type) {
      case 'timeline': {
        const ev = e.ev
        if (ev.type === 'send') {
          const { idx, from, to } = ev.send
          const dm = makeDm(idx, from, to, keys, clock(), DEFAULT_LIFETIME_MS)
          msgs.set(dm.hex, dm); msgs.set(`dm:${idx}`, dm)
          const node = nodes[from]
          await node.envelopes.hold(dm.v, dm.bytes, 'own', 0)
          node.outbox.commitAdd(node.outbox.addOp(dm.hex, 1, clock()).state)
          tally.sent(idx, dm.hex, now)
          schedulePump(from, now)
        } else if (ev.type === 'down') stopLife(ev.node)
        else if (ev.type === 'up') startLife(ev.node)
        else if (ev.type === 'cut') {
          for (const [a, b] of ev.cut) { cut.add(edgeKey(a, b)); overlay.linkDown(a, b) }
        } else if (ev.type === 'heal') {
          for (const [a, b] of ev.cut) cut.delete(edgeKey(a, b))
          for (const [a, b] of ev.cut) connect(a, b)
        }
        break
      }
      case 'gossip': if (nodes[e.to].up) await onGossip(e.to, e.from, e.msg, e.hops); break
      case 'deliver': {
        if (!linked(e.to, e.from)) { at(hop(), { type: 'answer', to: e.from, from: e.to, msg: e.msg }); break }
        const ack = await accept(e.to, e.msg, 'deliver', e.hops)
        if (ack !== undefined) tally.tx.deliver++
        at(hop(), { type: 'answer', to: e.from, from: e.to, msg: e.msg, ack })
        break
      }
      case 'answer': {
        if (!nodes[e.to].up) break
        if (e.ack !== undefined && linked(e.to, e.from)) await accept(e.to, e.ack, 'deliver', 0)
        await afterDirect(e.to, e.msg, e.ack !== undefined)
        break
      }
      case 'sync': if (linked(e.to, e.from)) await accept(e.to, e.msg, 'sync', e.hops); break
      case 'session': session(e.a, e.b); break
      case 'pump': if (nodes[e.node].up && e.token === nodes[e.node].pumpToken) await pump(e.node); break
      case 'syncTick': {
        const node = nodes[e.node]
        if (!node.up || e.life !== node.life) break
        const peers = [...overlay.links[e.node]].sort((a, b) => a - b)
        if (peers.length > 0) {
          const r = Math.floor(random() * peers.length)
          session(e.node, peers[r])
        }
        at(syncMs, { type: 'syncTick', node: e.node, life: e.life })
        break
      }
      case 'heartbeat': {
        overlay.heartbeat()
        const due = ihave.splice(0, ihave.length)
        for (const g of due) {
          if (!nodes[g.x].up) continue
          for (const y of overlay.gossipTargets(g.x, g.from)) {
            if (nodes[y].up && !nodes[y].seen.has(g.msg.hex)) send(g.x, y, g.msg, g.hops, 2)
          }
        }
        at(HEARTBEAT_MS, { type: 'heartbeat' })
        break
      }
      case 'sample':
        if (now >= t0) tally.sample(now - t0, nodes.map(x => x.up ? x.envelopes.stats().custody.bytes : undefined))
        at(sampleMs, { type: 'sample' })
        break
    }
  }
  tally.windowMs = s.init.durationMs
  tally.drainMs = Math.max(0, Math.round(now - windowEnd))
  const r = tally.report({ kind: 'model', router: init.router, wallMs: Date.now() - started })
  r.sync = { bytesOut: syncBytes, sessions, envelopes: tally.tx.sync, failed: 0 }
  return r
}
