import t from 'tap'
import { EnvelopeStore, type CustodyLimits } from '../../store-forward/envelopes.js'
import { openStores } from '../../store-forward/db.js'
import path from 'node:path'
import { ident, make, ack, tempStores, clock, Priority, type Made } from './helpers.js'

const A = ident(1)
const B = ident(2)
const C = ident(3)
const R = ident(4) // a recipient
const M = ident(5) // mallory
const X = ident(6).publicKey
const Y = ident(7).publicKey
const BIG = 1e9
const S = make(A, X).bytes.length // every test envelope encodes to this size

async function store (limits: Partial<CustodyLimits>, now = clock().now): Promise<{ s: EnvelopeStore, dir: string }> {
  const { stores, dir } = await tempStores()
  const s = await EnvelopeStore.open(stores, { custodyBytes: BIG, custodyPerAuthorBytes: BIG, custodyPerRecipientBytes: BIG, ...limits }, now)
  t.teardown(async () => stores.db.close().catch(() => {}))
  return { s, dir }
}

const hold = async (s: EnvelopeStore, e: Made): Promise<string> => s.hold(e.v, e.bytes, 'custody', 0)
const bytesBy = (s: EnvelopeStore, key: 'from' | 'to', hex: string): number =>
  [...s.items()].filter(i => i.meta.role === 'custody' && i.meta[key] === hex).reduce((n, i) => n + i.meta.size, 0)
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

t.test('all test envelopes have one size, whatever their priority', async t => {
  for (const p of [Priority.CRITICAL, Priority.NORMAL, Priority.LOW]) t.equal(make(B, Y, { priority: p, n: 9 }).bytes.length, S)
})

t.test('per-author quota: a flooding author evicts only its own oldest envelopes', async t => {
  const { s } = await store({ custodyPerAuthorBytes: 3 * S })
  const other = make(B, X, { n: 100 })
  t.equal(await hold(s, other), 'held')
  const mine = Array.from({ length: 6 }, (_, n) => make(A, X, { n, created: 10_000_000 + n }))
  for (const e of mine) {
    t.equal(await hold(s, e), 'held')
    t.ok(bytesBy(s, 'from', hex(A.publicKey)) <= 3 * S, 'author within quota after every hold')
  }
  t.same(mine.map(e => s.has(e.id)), [false, false, false, true, true, true], 'the oldest three were evicted')
  t.ok(s.has(other.id), 'another author\'s mail is untouched')
  t.equal(s.stats().evicted, 3)
  t.equal(await hold(s, make(A, Y, { payload: 3 * S })), 'refused', 'one envelope larger than the quota is refused')
})

t.test('per-recipient quota: mail for one key evicts that key\'s oldest', async t => {
  const { s } = await store({ custodyPerRecipientBytes: 3 * S })
  const toX = [make(A, X, { n: 1 }), make(B, X, { n: 2 }), make(A, X, { n: 3 })]
  const toY = make(C, Y, { n: 4 })
  for (const e of [...toX, toY]) t.equal(await hold(s, e), 'held')
  const late = make(B, X, { n: 5 })
  t.equal(await hold(s, late), 'held')
  t.same([...toX, late].map(e => s.has(e.id)), [false, true, true, true])
  t.ok(s.has(toY.id))
  t.ok(bytesBy(s, 'to', hex(X)) <= 3 * S)
})

t.test('total quota: evicts expired first, then lowest priority, then oldest', async t => {
  const c = clock(10_000_000)
  const { s } = await store({ custodyBytes: 4 * S }, c.now)
  const soon = make(A, X, { n: 1, expires: 10_001_000 }) // NORMAL, expires first
  const normal = make(B, X, { n: 2 })
  const low = make(C, Y, { n: 3, priority: Priority.LOW })
  const crit = make(M, Y, { n: 4, priority: Priority.CRITICAL })
  for (const e of [soon, normal, low, crit]) { t.equal(await hold(s, e), 'held'); c.add(1) }
  t.equal(s.stats().custody.bytes, 4 * S)
  c.set(10_002_000)
  const fresh = Array.from({ length: 4 }, (_, n) => make(R, X, { n: 10 + n, created: 10_001_500 + n }))
  const expect = [
    [soon, 'expired first (though neither lowest nor oldest)'],
    [low, 'then the LOW one (though younger than the NORMAL one)'],
    [normal, 'then the oldest NORMAL'],
    [fresh[0], 'then the next oldest NORMAL; the older CRITICAL stays']
  ] as const
  for (let i = 0; i < fresh.length; i++) {
    t.equal(await hold(s, fresh[i]), 'held')
    t.notOk(s.has(expect[i][0].id), expect[i][1])
    t.ok(s.stats().custody.bytes <= 4 * S, 'within the total quota')
    c.add(1)
  }
  t.ok(s.has(crit.id), 'CRITICAL kept')
  t.equal(s.stats().evicted, 4)
})

t.test('tombstones: only an ACK by the recipient drops custody and suppresses later copies', async t => {
  const { s } = await store({})
  const e = make(A, R.publicKey, { n: 1 })
  t.equal(await hold(s, e), 'held')
  t.equal(await s.applyAck(ack(M, A.publicKey, e.id).v), undefined, 'a forged ACK (by someone else) changes nothing')
  t.ok(s.has(e.id))
  const dropped = await s.applyAck(ack(R, A.publicKey, e.id).v)
  t.equal(dropped?.to, hex(R.publicKey), 'the genuine ACK drops it')
  t.notOk(s.has(e.id))
  t.ok(s.isTombstoned(e.id) && s.isTombstoned(e.id, hex(R.publicKey)))
  t.equal(await hold(s, e), 'tombstoned', 'a later copy is not resurrected')
  t.equal(s.stats().custody.count, 0)

  const e2 = make(A, R.publicKey, { n: 2 })
  await s.applyAck(ack(M, A.publicKey, e2.id).v)
  t.equal(await hold(s, e2), 'held', 'a forged ACK that came first does not suppress the original')
  t.ok(await s.applyAck(ack(R, A.publicKey, e2.id).v), 'the genuine ACK still drops it')
  t.equal(await hold(s, e2), 'tombstoned')

  const e3 = make(A, R.publicKey, { n: 3 })
  await s.applyAck(ack(M, A.publicKey, e3.id).v)
  await s.applyAck(ack(R, A.publicKey, e3.id).v)
  t.equal(await hold(s, e3), 'tombstoned', 'forged ACK, then genuine ACK, then the original: suppressed')
})

t.test('the same envelope held twice at once is counted once', async t => {
  const { s } = await store({})
  const e = make(A, X, { n: 1 })
  const r = await Promise.all([hold(s, e), hold(s, e), hold(s, e)])
  t.same(r.sort(), ['duplicate', 'duplicate', 'held'])
  t.same(s.stats().custody, { count: 1, bytes: S })
  await s.remove(e.id)
  t.same(s.stats().custody, { count: 0, bytes: 0 })
})

t.test('sweep drops expired envelopes and tombstones (injected clock)', async t => {
  const c = clock(10_000_000)
  const { s } = await store({}, c.now)
  const short = make(A, X, { n: 1, expires: 10_001_000 })
  const long = make(A, X, { n: 2, expires: 10_100_000 })
  const acked = make(A, R.publicKey, { n: 3, expires: 10_002_000 })
  for (const e of [short, long, acked]) await hold(s, e)
  await s.applyAck(ack(R, A.publicKey, acked.id).v)
  t.equal(await s.sweep(), 0)
  c.set(10_001_500)
  t.equal(await s.sweep(), 1, 'one expired envelope')
  t.notOk(s.has(short.id))
  t.ok(s.has(long.id))
  t.equal(s.stats().tombstones, 1)
  c.set(10_002_500)
  await s.sweep()
  t.equal(s.stats().tombstones, 0, 'tombstone gone after the original\'s expiry')
  t.notOk(s.isTombstoned(acked.id))
})

t.test('reopening from disk restores the same contents, stats and eviction order', async t => {
  const c = clock(10_000_000)
  const { stores, dir } = await tempStores()
  const limits = { custodyBytes: 4 * S, custodyPerAuthorBytes: BIG, custodyPerRecipientBytes: BIG }
  const s = await EnvelopeStore.open(stores, limits, c.now)
  const es = [make(B, X, { n: 1 }), make(A, X, { n: 2 }), make(C, Y, { n: 3, priority: Priority.LOW }), make(A, Y, { n: 4 })]
  for (const e of es) { await hold(s, e); c.add(10) }
  const own = make(R, X, { n: 5 })
  await s.hold(own.v, own.bytes, 'own', 0)
  const acked = make(A, R.publicKey, { n: 6 })
  await s.applyAck(ack(R, A.publicKey, acked.id).v)
  const before = s.stats()
  const items = [...s.items()].map(i => i.id).sort()
  await stores.db.close()

  const again = await openStores(path.join(dir, 'db'))
  t.teardown(async () => again.db.close().catch(() => {}))
  const s2 = await EnvelopeStore.open(again, limits, c.now)
  const after = s2.stats()
  t.same({ ...after, evicted: 0 }, { ...before, evicted: 0 })
  t.same([...s2.items()].map(i => i.id).sort(), items)
  t.ok(s2.isTombstoned(acked.id, hex(R.publicKey)))
  t.same(Buffer.from((await s2.get(es[1].id))!), Buffer.from(es[1].bytes), 'bytes read back')
  // two more to one key: LOW goes first, then the oldest (B's), as before the restart
  await hold(s2, make(M, X, { n: 7 }))
  t.notOk(s2.has(es[2].id), 'LOW evicted first')
  await hold(s2, make(M, X, { n: 8 }))
  t.notOk(s2.has(es[0].id), 'then the oldest arrival')
  t.ok(s2.has(es[1].id) && s2.has(es[3].id) && s2.has(own.id))
})
