import t from 'tap'
import path from 'node:path'
import { Outbox } from '../../store-forward/outbox.js'
import { openStores, type Stores } from '../../store-forward/db.js'
import { BACKOFF_BASE_MS, BACKOFF_MAX_MS, LOW_STALE_MS } from '../../store-forward/constants.js'
import { tempStores, clock } from './helpers.js'

const CRITICAL = 0
const NORMAL = 1
const LOW = 2

/** Fixed sequence of "random" numbers, repeated. */
function seq (...xs: number[]): () => number {
  let i = 0
  return () => xs[i++ % xs.length]
}

async function add (o: Outbox, stores: Stores, id: string, rank: number, created: number): Promise<void> {
  const { op, state } = o.addOp(id, rank, created)
  await stores.db.batch([op])
  o.commitAdd(state)
}

async function fresh (init: Parameters<typeof Outbox.open>[1]): Promise<{ o: Outbox, stores: Stores, dir: string }> {
  const { stores, dir } = await tempStores()
  t.teardown(async () => stores.db.close().catch(() => {}))
  return { o: await Outbox.open(stores, init), stores, dir }
}

t.test('send order: CRITICAL, NORMAL, LOW, then oldest first', async t => {
  const c = clock()
  const { o, stores } = await fresh({ now: c.now })
  await add(o, stores, 'n-new', NORMAL, c.now() + 20)
  await add(o, stores, 'low', LOW, c.now() - 5)
  await add(o, stores, 'n-old', NORMAL, c.now() + 10)
  await add(o, stores, 'crit', CRITICAL, c.now() + 30)
  await add(o, stores, 'n-mid', NORMAL, c.now() + 15)
  t.same(o.list().map(e => e.id), ['crit', 'n-old', 'n-mid', 'n-new', 'low'])
  t.same(o.due().map(e => e.id), ['crit', 'n-old', 'n-mid', 'n-new', 'low'], 'all due at once when new')
})

t.test('backoff: exact delays with the documented defaults and a fixed random sequence', async t => {
  t.equal(BACKOFF_BASE_MS, 2000)
  t.equal(BACKOFF_MAX_MS, 600000)
  const c = clock()
  const { o, stores } = await fresh({ now: c.now, random: seq(0, 0.5, 0.999, 0.25) })
  // base·2^(n-1), capped at max, times (1 - 0.5·r)
  t.same([1, 2, 3, 4].map(n => o.backoff(n)), [2000, 3000, 4004, 14000])
  t.same([10, 20, 40].map(n => o.backoff(n)), [600000, 450000, 300300], 'capped at BACKOFF_MAX_MS')
  await add(o, stores, 'x', NORMAL, c.now())
  const delays: number[] = []
  for (let i = 0; i < 4; i++) {
    const before = c.now()
    await o.attempted('x', false)
    delays.push(o.get('x')!.nextAt - before)
    t.same(o.due(), [], 'not due right after an attempt')
    c.set(o.get('x')!.nextAt)
    t.same(o.due().map(e => e.id), ['x'], 'due exactly at nextAt')
  }
  t.same(delays, [1750, 4000, 6000, 8008], 'attempts 1–4 with r = 0.25, 0, 0.5, 0.999')
  t.equal(o.get('x')!.attempts, 4)
  t.equal(o.get('x')!.sentAt, 0, 'never handed to a peer')
  await o.attempted('x', true)
  t.equal(o.get('x')!.sentAt, c.now())
})

t.test('backoff base and cap are injectable (tests shrink them)', async t => {
  const { o } = await fresh({ random: seq(0), baseMs: 100, maxMs: 1000 })
  t.same([1, 2, 3, 4, 5, 6].map(n => o.backoff(n)), [100, 200, 400, 800, 1000, 1000])
})

t.test('wake(): a useful peer appeared, everything is due at once (and persisted)', async t => {
  const c = clock()
  const { o, stores, dir } = await fresh({ now: c.now, random: seq(0) })
  for (const id of ['a', 'b', 'c']) { await add(o, stores, id, NORMAL, c.now()); await o.attempted(id, false); await o.attempted(id, false) }
  c.add(100)
  t.same(o.due(), [])
  t.equal(o.nextDue(), c.now() - 100 + 4000)
  await o.wake()
  t.same(o.due().map(e => e.id), ['a', 'b', 'c'])
  t.equal(o.nextDue(), c.now())
  await stores.db.close()
  const again = await openStores(path.join(dir, 'db'))
  t.teardown(async () => again.db.close().catch(() => {}))
  const o2 = await Outbox.open(again, { now: c.now })
  t.same(o2.due().map(e => [e.id, e.attempts, e.nextAt]), [['a', 2, c.now()], ['b', 2, c.now()], ['c', 2, c.now()]], 'reopened: same state')
})

t.test('stale LOW entries are excluded from due() and listed for dropping; other ranks never go stale', async t => {
  t.equal(LOW_STALE_MS, 60000)
  const c = clock()
  const { o, stores } = await fresh({ now: c.now, lowStaleMs: 5000 })
  await add(o, stores, 'typing', LOW, c.now())
  await add(o, stores, 'chat', NORMAL, c.now())
  await add(o, stores, 'ack', CRITICAL, c.now())
  c.add(5000)
  t.same(o.stale(), [], 'exactly at the limit: not yet stale')
  t.same(o.due().map(e => e.id), ['ack', 'chat', 'typing'])
  c.add(1)
  t.same(o.stale().map(e => e.id), ['typing'])
  t.same(o.due().map(e => e.id), ['ack', 'chat'], 'stale LOW is not sent late')
  t.same(['typing', 'chat', 'ack', 'unknown'].map(id => o.isStale(id)), [true, false, false, false], 'isStale (sync withholds these)')
  t.ok(await o.remove('typing'))
  t.equal(o.size, 2)
  t.notOk(await o.remove('typing'), 'removing twice is a no-op')
})
