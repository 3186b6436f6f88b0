/**
 * Two nodes on a LAN find each other by mDNS alone: two network namespaces
 * joined by a veth pair (a test-only 10.x /24, multicast routed onto the
 * veth), one real node process in each (mDNS every second, no bootstrap, no
 * DHT, nobody dials by hand). They connect and a message goes from A to B and
 * is acknowledged; after a hang-up mDNS reconnects them. mDNS only ever runs
 * inside the namespaces made here.
 */
import t from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { NetnsLab, netnsUnavailable, bundleEntry, repoRoot, type NsProcess } from './netns.js'

const unavailable = netnsUnavailable()

t.test('two namespaces, one veth: nodes meet by mDNS and exchange a message', { skip: unavailable ?? false }, async t => {
  const lab = new NetnsLab('mdns')
  t.teardown(async () => lab.cleanup())
  const nsA = lab.ns('a')
  const nsB = lab.ns('b')
  const [vethA, vethB] = lab.veth(nsA, '10.213.77.1/24', nsB, '10.213.77.2/24')
  lab.multicast(nsA, vethA)
  lab.multicast(nsB, vethB)
  t.match(lab.run(nsA, 'ip', ['-4', 'addr', 'show', vethA]), /10\.213\.77\.1\/24/, 'A has its LAN address')

  const bundle = lab.track(bundleEntry(path.join(repoRoot, 'tests/system/fixtures/mdns-node.ts'), 'mdns-node'))
  const dir = lab.track(fs.mkdtempSync(path.join(os.tmpdir(), 'fp-mdns-')))
  const polyfill = path.join(repoRoot, 'node', 'polyfill.js')
  const start = (ns: string, name: string): NsProcess =>
    lab.spawn(ns, name, process.execPath, ['--import', polyfill, bundle, path.join(dir, name), name])
  const a = start(nsA, 'a')
  const b = start(nsB, 'b')
  const readyA = await a.waitLine('ready', l => l.event === 'ready', 20_000)
  const readyB = await b.waitLine('ready', l => l.event === 'ready', 20_000)
  const idA = String(readyA.id)
  const idB = String(readyB.id)
  t.ok((readyB.addrs as string[]).some(x => x.startsWith('/ip4/10.213.77.2/tcp/')), 'B listens on its LAN address')

  await a.waitLine('A meets B', l => l.event === 'peer:join' && l.id === idB, 20_000)
  await b.waitLine('B meets A', l => l.event === 'peer:join' && l.id === idA, 20_000)
  t.pass('they found each other by mDNS and connected')

  const text = `hello over the LAN ${process.pid}`
  a.send(`send ${idB} ${text}`)
  const sent = await a.waitLine('sent', l => l.event === 'sent', 10_000)
  const got = await b.waitLine('message at B', l => l.event === 'message', 20_000)
  t.equal(got.text, text, 'B got the text')
  t.equal(got.id, sent.id, 'the same envelope')
  await a.waitLine('delivered at A', l => l.event === 'delivered' && l.id === sent.id, 20_000)
  t.pass('A saw it delivered')
  t.equal(b.lines.filter(l => l.event === 'message').length, 1, 'exactly once')

  // A partition heals: A hangs up; the next mDNS answers bring them back together (peers already known
  // to each other: libp2p's own 'peer:discovery' event fires only for new peer-store entries).
  const joins = (p: NsProcess, id: string): number => p.lines.filter(l => l.event === 'peer:join' && l.id === id).length
  a.send(`hangup ${idB}`)
  await b.waitLine('B sees A leave', l => l.event === 'peer:leave' && l.id === idA, 10_000)
  await a.waitLine('A meets B again', () => joins(a, idB) >= 2, 15_000)
  await b.waitLine('B meets A again', () => joins(b, idA) >= 2, 15_000)
  t.pass('reconnected by mDNS after a hang-up')
  const text2 = `again ${process.pid}`
  b.send(`send ${idA} ${text2}`)
  const got2 = await a.waitLine('message at A', l => l.event === 'message' && l.text === text2, 20_000)
  t.equal(got2.text, text2, 'and mail flows again, B to A')
  t.ok(a.running && b.running, 'both still running')
})
