/**
 * Ten real nodes (libp2p over the memory transport, LevelDB on disk) in a
 * seeded random connected graph: every node sends to every other. All 90
 * messages arrive exactly once each with the right text and author, and
 * every sender sees each of its messages delivered (ACKs find their way back).
 */
import t from 'tap'
import { startNode, linkEdges, meshReady, stopAll, waitFor, seededRandom, randomGraph, hopCounts } from './helpers.js'
import type { FunkpostNode } from '../../node/node.js'
import type { HistoryEntry } from '../../store-forward/history.js'

const N = 10
const SEED = 20240611
const DEADLINE_MS = 60_000

t.test('random graph of 10 nodes: 90 messages, each arrives exactly once and is delivered', async t => {
  const random = seededRandom(SEED)
  const edges = randomGraph(N, 4, random)
  const far = Math.max(...Array.from({ length: N }, (_, i) => Math.max(...hopCounts(N, edges, i))))
  t.ok(far >= 3, `some pairs are ${far} hops apart, so relaying is needed`)
  t.ok(Array.from({ length: N }, (_, i) => hopCounts(N, edges, i).every(d => d >= 0)).every(Boolean), 'connected')
  t.ok(edges.length < N * (N - 1) / 2, 'not a full mesh')

  const nodes: FunkpostNode[] = []
  t.teardown(() => stopAll(nodes))
  for (let i = 0; i < N; i++) nodes.push(await startNode({ transport: 'memory', name: `n${i}`, random }))
  await linkEdges(nodes, edges)
  await meshReady(nodes, 20_000)

  const inbox: HistoryEntry[][] = nodes.map(() => [])
  const delivered: string[][] = nodes.map(() => [])
  nodes.forEach((n, i) => {
    n.on('message', e => inbox[i].push(e))
    n.on('delivered', e => delivered[i].push(e.id))
  })

  const started = Date.now()
  const sent: Array<{ from: number, to: number, id: string, text: string }> = []
  // Interleave senders so all 90 are in flight at once.
  for (let k = 1; k < N; k++) {
    for (let i = 0; i < N; i++) {
      const j = (i + k) % N
      const text = `from n${i} to n${j} #${k}`
      sent.push({ from: i, to: j, id: await nodes[i].send(nodes[j].id, text), text })
    }
  }
  t.equal(sent.length, N * (N - 1))

  await waitFor('all 90 messages arrive', () => inbox.reduce((s, x) => s + x.length, 0) >= sent.length, DEADLINE_MS, 50)
  await waitFor('every sender sees all its messages delivered', () => sent.every(s => nodes[s.from].history.get(s.id)?.status === 'delivered'), DEADLINE_MS - (Date.now() - started), 50)
  t.comment(`all delivered and acknowledged in ${Date.now() - started} ms over ${edges.length} links`)
  // Late duplicates (gossip, sync, retries) would show up now.
  await new Promise(resolve => setTimeout(resolve, 1500))

  for (let j = 0; j < N; j++) {
    const got = inbox[j]
    const want = sent.filter(s => s.to === j)
    t.equal(got.length, want.length, `n${j} got ${want.length} messages, no more`)
    t.equal(new Set(got.map(e => e.id)).size, got.length, `n${j}: ids unique`)
    t.same(got.map(e => e.id).sort(), want.map(s => s.id).sort(), `n${j}: exactly the ids sent to it`)
    const byId = new Map(got.map(e => [e.id, e]))
    t.ok(want.every(s => byId.get(s.id)?.text === s.text && byId.get(s.id)?.from === nodes[s.from].mailroom.me), `n${j}: texts and authors right`)
  }
  for (let i = 0; i < N; i++) {
    const mine = sent.filter(s => s.from === i).map(s => s.id).sort()
    t.same([...delivered[i]].sort(), mine, `n${i}: one 'delivered' event per message`)
    t.equal(nodes[i].outbox.size, 0, `n${i}: outbox empty`)
  }
})
