import t from 'tap'
import { startNode, link, waitFor, stopAll, sleep, type NodeOpts } from '../integration/helpers.js'
import { Priority } from '../../mesh/envelope.js'
import { SYNC_PROTOCOL } from '../../mesh/constants.js'
import { SyncFrame } from '../../store-forward/pb/sync.js'
import type { FunkpostNode } from '../../node/node.js'
import type { Stream } from '../../mesh/stream-host.js'
import { ident, make, ack, type Made } from './helpers.js'

/** Two real nodes (memory transport, LevelDB on disk) with gossip off, so only the sync protocol moves envelopes. */
async function pair (aOpts: NodeOpts = {}): Promise<[FunkpostNode, FunkpostNode]> {
  const a = await startNode({ transport: 'memory', name: 'a', ...aOpts })
  const b = await startNode({ transport: 'memory', name: 'b' })
  t.teardown(() => stopAll([a, b]))
  a.gossip.stop()
  b.gossip.stop()
  await link(a, b)
  // the smaller id syncs on contact; let that (empty) session end first
  await waitFor('sync on contact', () => a.sync.stats.sessions + b.sync.stats.sessions >= 1)
  await new Promise(resolve => setTimeout(resolve, 200))
  return [a, b]
}

const recipients = [ident(31), ident(32), ident(33)].map(i => i.publicKey)
const authors = [ident(41), ident(42), ident(43)]
let counter = 0
function mail (n: number): Made[] {
  const now = Date.now()
  return Array.from({ length: n }, (_, i) => make(authors[i % 3], recipients[i % 3], { created: now - i, expires: now + 3_600_000, n: ++counter }))
}

async function put (node: FunkpostNode, es: Made[]): Promise<void> {
  for (const e of es) {
    const r = await node.receiveBytes(e.bytes, 'local')
    if (r.code !== 'held') throw new Error(`local put: ${r.code}`)
  }
}

const held = (n: FunkpostNode): Set<string> => new Set([...n.envelopes.items()].map(i => i.id))

t.test('disjoint and overlapping sets: one session leaves both nodes with the union', async t => {
  const [a, b] = await pair()
  const onlyA = mail(300)
  const onlyB = mail(250)
  const both = mail(60)
  await put(a, [...onlyA, ...both])
  await put(b, [...onlyB, ...both])
  const r = await a.sync.run(b.libp2p.peerId)
  t.equal(r.sent, 300, 'a pushed what b lacked')
  t.equal(r.received, 250, 'a fetched what it lacked')
  t.ok(r.rounds >= 1 && r.rounds <= 8, `rounds: ${r.rounds}`)
  const union = new Set([...onlyA, ...onlyB, ...both].map(e => e.id))
  await waitFor('b stored the pushed envelopes', () => held(b).size === union.size, 5000)
  t.same(held(a), union)
  t.same(held(b), union)
  t.equal(a.envelopes.getMeta(onlyB[0].id)?.hops, 2, 'hops count the hand-over (local put + sync)')
  const again = await b.sync.run(a.libp2p.peerId)
  t.same([again.sent, again.received], [0, 0], 'a second session finds nothing to move')
  t.ok(again.bytesOut + again.bytesIn < 2000, `equal sets cost little: ${again.bytesOut + again.bytesIn} bytes`)
})

t.test('tombstoned envelopes are not resurrected; the ACK travels instead', async t => {
  const [a, b] = await pair()
  const r = ident(31)
  const [e] = mail(1).map(x => x) // addressed to recipients[0] = ident(31)
  const other = mail(5)
  await put(a, [e, ...other])
  await put(b, [e])
  const now = Date.now()
  const theAck = ack(r, authors[0].publicKey, e.id, { created: now, expires: now + 3_600_000 })
  t.equal((await b.receiveBytes(theAck.bytes, 'local')).code, 'acked')
  t.notOk(b.envelopes.has(e.id))
  t.ok(b.envelopes.isTombstoned(e.id))

  await a.sync.run(b.libp2p.peerId)
  await waitFor('a applied the ACK', () => !a.envelopes.has(e.id), 5000)
  t.notOk(b.envelopes.has(e.id), 'b did not take the delivered envelope back')
  t.ok(a.envelopes.isTombstoned(e.id), 'a keeps a tombstone now')
  t.ok(a.envelopes.has(theAck.id) && b.envelopes.has(theAck.id), 'both hold the ACK')
  for (const x of other) t.ok(b.envelopes.has(x.id))
  const r2 = await b.sync.run(a.libp2p.peerId)
  t.equal(r2.received + r2.sent, 0, 'nothing left to move')
  t.notOk(a.envelopes.has(e.id) || b.envelopes.has(e.id))
})

async function raw (from: FunkpostNode, to: FunkpostNode): Promise<Stream> {
  return from.libp2p.dialProtocol(to.libp2p.peerId, SYNC_PROTOCOL, { signal: AbortSignal.timeout(5000) })
}

/** Resolves with the stream status once the remote ends it (abort/reset/close), or 'open' after ms. */
async function ended (s: Stream, ms: number): Promise<string> {
  if (s.status !== 'open') return s.status
  return new Promise(resolve => {
    const timer = setTimeout(() => resolve(s.status), ms)
    s.addEventListener('close', () => { clearTimeout(timer); resolve(s.status) }, { once: true })
    s.addEventListener('remoteCloseWrite', () => { clearTimeout(timer); resolve(`remote-closed:${s.status}`) }, { once: true })
  })
}

function varint (n: number): Uint8Array {
  const out: number[] = []
  while (n >= 0x80) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 128) }
  out.push(n)
  return new Uint8Array(out)
}

const cat = (...xs: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(xs))

t.test('hostile frames: the responder aborts the stream, does not crash or hang, and still syncs with honest peers', async t => {
  const [a, b] = await pair()
  const failedBefore = b.sync.stats.failed
  const garbage: Array<[string, Uint8Array]> = [
    ['undecodable frame', cat(varint(20), new Uint8Array(20).fill(0xff))],
    ['length prefix over the frame limit', cat(varint(10 * 1024 * 1024), new Uint8Array(64))],
    ['length prefix that never ends', new Uint8Array(16).fill(0xff)],
    ['valid frame, garbage reconciliation message', (() => { const f = SyncFrame.encode({ recon: new Uint8Array(50).fill(0xee), envelopes: [], want: [], done: false }); return cat(varint(f.length), f) })()],
    ['want list with a wrong-sized id then junk', (() => { const f = SyncFrame.encode({ recon: new Uint8Array(0), envelopes: [new Uint8Array(9).fill(1)], want: [new Uint8Array(5)], done: false }); return cat(varint(f.length), f, varint(3), new Uint8Array([0xff, 0xff, 0xff])) })()]
  ]
  for (const [what, bytes] of garbage) {
    const s = await raw(a, b)
    s.send(bytes)
    const status = await ended(s, 5000)
    t.not(status, 'open', `${what}: the responder ended the stream (${status})`)
    s.abort(new Error('done'))
  }
  await waitFor('responder counted the failures', () => b.sync.stats.failed - failedBefore >= garbage.length, 5000)
  t.ok(b.isRunning, 'responder still running')
  t.ok(b.libp2p.getConnections(a.libp2p.peerId).length > 0, 'connection kept')

  const ea = mail(20)
  const eb = mail(15)
  await put(a, ea)
  await put(b, eb)
  const r = await a.sync.run(b.libp2p.peerId)
  t.same([r.sent, r.received], [20, 15], 'an honest session afterwards moves everything')
  await waitFor('b has a\'s envelopes', () => ea.every(e => b.envelopes.has(e.id)), 5000)
})

t.test('a failed dial does not wedge later sessions with that peer', async t => {
  const [a, b] = await pair()
  await b.sync.stop()
  await t.rejects(a.sync.run(b.libp2p.peerId), 'no sync protocol at the peer')
  await b.sync.start()
  const e = mail(3)
  await put(a, e)
  const r = await a.sync.run(b.libp2p.peerId)
  t.equal(r.sent, 3, 'the next session runs')
})

t.test('sync does not hand out a stale LOW outbox entry', async t => {
  const [a, b] = await pair({ lowStaleMs: 300, backoffBaseMs: 60_000 })
  const elsewhere = ident(34)
  const low = await a.send(elsewhere.publicKey, 'typing…', { priority: Priority.LOW })
  const normal = await a.send(elsewhere.publicKey, 'a real message')
  await waitFor('first attempts made (no path: long backoff now)', () => a.outbox.list().every(e => e.attempts === 1))
  await sleep(400)
  t.ok(a.outbox.has(low) && a.envelopes.has(low), 'stale, but no pump has run to drop it yet')
  await a.sync.run(b.libp2p.peerId)
  await waitFor('b holds the NORMAL one', () => b.envelopes.has(normal), 5000)
  t.notOk(b.envelopes.has(low), 'the stale LOW one was not sent')
})
