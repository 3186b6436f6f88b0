/**
 * Routed mail (an IP-routed mesh, where any node can dial any other): real
 * nodes on the memory transport with the private DHT, linked in a line. A DM
 * to an online recipient goes directly (found in the DHT), and one to an
 * absent recipient goes to its mailbox — MAILBOX_REPLICAS nodes, no flood —
 * and arrives when the recipient comes back and connects to its mailbox; the
 * ACK travels back to the author and the mailbox nodes drop their copies.
 */
import t from 'tap'
import { startNode, stopAll, waitFor, sleep, linkLine, tempHome } from './helpers.js'
import { identityFromSeed } from '../../node/identity.js'
import { MAILBOX_REPLICAS } from '../../mesh/mailbox.js'
import type { FunkpostNode } from '../../node/node.js'

const N = 8

/** How many nodes hold (custody) envelope `id`. */
const holders = (nodes: FunkpostNode[], id: string): number => nodes.filter(n => n.isRunning && n.envelopes.getMeta(id)?.role === 'custody').length

/** DMs and ACKs that arrived by gossip anywhere (counted from each node's 'received' events). */
let gossipMail = 0
const count = (n: FunkpostNode): FunkpostNode => {
  n.on('received', e => { if (e.via === 'gossip' && (e.kind === 'DIRECT' || e.kind === 'ACK')) gossipMail++ })
  return n
}
const gossiped = (): number => gossipMail

t.test('routed: direct to an online recipient, to the mailbox for an absent one, never a flood', async t => {
  const seeds = Array.from({ length: N }, (_, i) => new Uint8Array(32).fill(40 + i))
  const homes = seeds.map(() => tempHome('fp-routed-'))
  const opts = (i: number): Parameters<typeof startNode>[0] => ({
    transport: 'memory', dht: true, routing: 'routed', seed: seeds[i], home: homes[i], mailboxFetchMs: 2000, syncIntervalMs: 60_000
  })
  const nodes: FunkpostNode[] = []
  for (let i = 0; i < N; i++) nodes.push(count(await startNode(opts(i))))
  t.teardown(() => stopAll(nodes))
  await linkLine(nodes)
  // The DHT learns the others through the line: wait until the ends can find each other.
  await waitFor('the DHT to know every node', async () => {
    const known = await nodes[0].libp2p.peerStore.all()
    return known.length >= N - 1 || undefined
  }, 30_000)
  await sleep(1000)

  const a = nodes[0]
  const h = nodes[N - 1]
  const before = gossiped()
  const direct = await a.send(h.id, 'straight to you')
  await waitFor('h has it', () => h.history.has(direct), 20_000)
  await waitFor('a sees it delivered', () => a.history.get(direct)?.status === 'delivered', 20_000)
  t.ok(a.libp2p.getConnections(h.libp2p.peerId).length > 0, 'a dialled h (found through the DHT)')
  t.equal(holders(nodes, direct), 0, 'nobody holds a copy of a DM delivered directly')

  // g goes away; a writes to it.
  const gi = N - 2
  const g = nodes[gi]
  const gId = g.id
  await g.stop()
  const later = await a.send(gId, 'for when you are back')
  const held = await waitFor('the mailbox holds it', () => holders(nodes, later) >= MAILBOX_REPLICAS ? holders(nodes, later) : undefined, 30_000)
  t.equal(held, MAILBOX_REPLICAS, `exactly ${MAILBOX_REPLICAS} mailbox nodes hold it (plus its author)`)
  await waitFor('a marks it sent (in the mailbox)', () => a.history.get(later)?.status === 'sent', 10_000)
  t.equal(gossiped(), before, 'no DM or ACK travelled on the mail gossip topic')

  // g comes back (same home and key), connects to one neighbour; it finds its mailbox and collects.
  const back = count(await startNode({ ...opts(gi), identity: identityFromSeed(seeds[gi]) }))
  nodes[gi] = back
  await back.libp2p.dial(nodes[gi - 1].libp2p.getMultiaddrs()[0])
  await waitFor('g has the message from its mailbox', () => back.history.has(later), 30_000)
  t.equal(back.history.get(later)?.text, 'for when you are back')
  await waitFor('a sees it delivered (the ACK was routed back)', () => a.history.get(later)?.status === 'delivered', 30_000)
  await waitFor('the mailbox dropped its copies', () => holders(nodes, later) === 0, 30_000)
  t.equal(a.outbox.size, 0, 'nothing left in a\'s outbox')
  await waitFor('g\'s outbox is empty (its ACK was handed over)', () => back.outbox.size === 0, 30_000)
  t.equal(gossiped(), before, 'still no flood')
})
