/**
 * The private kad-dht finds peers by id: A and C each know only B (loopback
 * TCP, 127.0.0.1 addresses kept by the passthrough peer-info mapper). C looks
 * A up through the DHT without ever having dialled it (no connection, no
 * address of A before the lookup, though gossip and the keeper had seconds to
 * make one), then sends A a message that goes over a direct connection (the
 * deliver protocol), not via B.
 */
import t from 'tap'
import { startNode, link, waitFor, stopAll } from './helpers.js'
import { FUNKPOST_DHT_PROTOCOL } from '../../transports/index.js'
import type { SingleKadDHT } from '@libp2p/kad-dht'
import type { FunkpostNode } from '../../node/node.js'
import type { HistoryEntry } from '../../store-forward/history.js'

t.test('C finds A through the DHT (B in between) and delivers to it directly', async t => {
  const nodes: FunkpostNode[] = []
  t.teardown(() => stopAll(nodes))
  for (const name of ['a', 'b', 'c']) nodes.push(await startNode({ name, dht: true }))
  const [a, b, c] = nodes
  // kad-dht runs its first self-lookup 1 s after start, then every 5 min. Let it run on empty tables:
  // a self-lookup through B would make A and C contact each other before the test asks anything.
  await new Promise(resolve => setTimeout(resolve, 1500))
  await link(a, b)
  await link(c, b)
  const dhtOf = (n: FunkpostNode): SingleKadDHT => {
    const dht = n.libp2p.services.dht
    if (dht === undefined) throw new Error('no DHT service')
    return dht as SingleKadDHT // privateDht() is one kad-dht (not a LAN/WAN pair), so it has a routing table
  }
  // B's routing table fills through identify (A and C speak the private DHT protocol).
  await waitFor('A, B and C speak the private DHT protocol to each other', async () => {
    const speaks = async (x: FunkpostNode, y: FunkpostNode): Promise<boolean> =>
      (await x.libp2p.peerStore.get(y.libp2p.peerId).catch(() => undefined))?.protocols.includes(FUNKPOST_DHT_PROTOCOL) === true
    return await speaks(b, a) && await speaks(b, c) && await speaks(c, b)
  })
  await waitFor('routing tables: B holds A and C, C holds B', () => dhtOf(b).routingTable.size >= 2 && dhtOf(c).routingTable.size >= 1)
  // The keeper dials what mDNS/bootstrap find, never every peer the DHT makes known (it defers some dials 1.5 s).
  await new Promise(resolve => setTimeout(resolve, 2000))
  t.equal(c.libp2p.getConnections(a.libp2p.peerId).length, 0, 'C has no connection to A')
  const known = await c.libp2p.peerStore.get(a.libp2p.peerId).catch(() => undefined)
  t.same(known?.addresses ?? [], [], 'C knows no address of A yet')

  const found = await c.libp2p.peerRouting.findPeer(a.libp2p.peerId, { signal: AbortSignal.timeout(10_000) })
  // (kad-dht then pings the peer it learnt before adding it to its routing table: that dial comes after the answer.)
  t.equal(c.libp2p.getConnections(a.libp2p.peerId).length, 0, 'the answer came from B: C had no connection to A when it arrived')
  t.ok(found.id.equals(a.libp2p.peerId), 'findPeer answers for A')
  const addrs = found.multiaddrs.map(m => m.toString())
  t.ok(addrs.some(x => a.addrs().some(y => y.startsWith(x))), `A's loopback address came back: ${addrs.join(' ')}`)

  const atA: HistoryEntry[] = []
  const via: string[] = []
  a.on('message', e => atA.push(e))
  a.on('received', r => via.push(r.via))
  const id = await c.send(a.id, 'found you through the DHT')
  await waitFor('A receives', () => atA.length > 0, 15_000)
  await waitFor('C sees it delivered', () => c.history.get(id)?.status === 'delivered', 15_000)
  t.equal(atA[0].text, 'found you through the DHT')
  t.equal(atA[0].id, id)
  t.ok(c.libp2p.getConnections(a.libp2p.peerId).length > 0, 'C is now connected to A')
  t.equal(via[0], 'deliver', 'the message came over the deliver protocol, not gossip')
  t.equal(b.envelopes.has(id), false, 'B never held it in custody')
  await new Promise(resolve => setTimeout(resolve, 500))
  t.equal(atA.length, 1, 'exactly once')
})
