import t from 'tap'
import type { Test } from 'tap'
import { createHash } from 'node:crypto'
import {
  SortedItems, Reconciler, reconcileLocal, keyOf, InvalidItemError, RoundLimitError, ReconcilerStateError
} from '../../store-forward/reconcile.js'
import type { Item } from '../../store-forward/reconcile.js'
import {
  FrameWriter, MalformedFrameError, Mode, PROTOCOL_VERSION, INFINITY_BOUND, ZERO_BOUND, MAX_FRAME_BYTES,
  encodeVarint
} from '../../store-forward/reconcile-frames.js'

/** mulberry32: small seeded PRNG, so every case is reproducible from its seed. */
function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

function randomId (rnd: () => number): Uint8Array {
  const id = new Uint8Array(32)
  for (let i = 0; i < 32; i++) id[i] = Math.floor(rnd() * 256)
  return id
}

const BASE_TS = 1_700_000_000_000
const SPAN = 30 * 86_400_000

function randomItems (rnd: () => number, n: number, span = SPAN): Item[] {
  const out: Item[] = []
  for (let i = 0; i < n; i++) out.push({ ts: BASE_TS + Math.floor(rnd() * span), id: randomId(rnd) })
  return out
}

const FIXED_SALT = { randomBytes: (n: number) => new Uint8Array(n).fill(7) }

function hexSet (ids: Uint8Array[]): Set<string> {
  return new Set(ids.map(id => Buffer.from(id).toString('hex')))
}

/** Asserts have/need equal the true differences exactly, with no duplicates. */
function checkDiff (t: Test, a: Item[], b: Item[], r: { have: Uint8Array[], need: Uint8Array[] }): void {
  const ak = hexSet(a.map(i => i.id))
  const bk = hexSet(b.map(i => i.id))
  const wantHave = [...ak].filter(k => !bk.has(k)).sort()
  const wantNeed = [...bk].filter(k => !ak.has(k)).sort()
  t.same([...hexSet(r.have)].sort(), wantHave, 'have = ids only the initiator holds')
  t.same([...hexSet(r.need)].sort(), wantNeed, 'need = ids only the responder holds')
  t.equal(r.have.length, wantHave.length, 'no duplicate in have')
  t.equal(r.need.length, wantNeed.length, 'no duplicate in need')
}

/** Reference fingerprint straight from the NIP-77 definition, with BigInt. */
function referenceFingerprint (ids: Uint8Array[]): string {
  let sum = 0n
  for (const id of ids) sum += BigInt('0x' + Buffer.from(id).reverse().toString('hex'))
  sum %= 1n << 256n
  const le = Buffer.from(sum.toString(16).padStart(64, '0'), 'hex').reverse()
  return createHash('sha256').update(le).update(encodeVarint(ids.length)).digest().subarray(0, 16).toString('hex')
}

t.test('SortedItems keeps (ts, id) order, dedupes, inserts and deletes', async t => {
  const rnd = prng(1)
  const items = randomItems(rnd, 500, 50)
  const s = SortedItems.from([...items, ...items.slice(0, 50)])
  t.equal(s.size, 500)
  for (let i = 1; i < s.size; i++) {
    const order = s.ts(i - 1) < s.ts(i) || (s.ts(i - 1) === s.ts(i) && Buffer.compare(s.id(i - 1), s.id(i)) < 0)
    if (!order) { t.fail(`out of order at ${i}`); break }
  }
  const extra = { ts: BASE_TS + 25, id: randomId(rnd) }
  t.equal(s.insert(extra.ts, extra.id), true)
  t.equal(s.insert(extra.ts, extra.id), false, 'second insert is a no-op')
  t.equal(s.has(extra.ts, extra.id), true)
  const snap = s.snapshot()
  t.equal(s.delete(extra.ts, extra.id), true)
  t.equal(s.delete(extra.ts, extra.id), false)
  t.equal(snap.has(extra.ts, extra.id), true, 'a snapshot does not see later deletes')
  t.equal(s.size, 500)
  t.throws(() => s.insert(-1, extra.id), { name: 'InvalidItemError' })
  t.throws(() => s.insert(1.5, extra.id), { name: 'InvalidItemError' })
  t.throws(() => s.insert(2 ** 48, extra.id), { name: 'InvalidItemError' })
  t.throws(() => s.insert(1, new Uint8Array(31)), InvalidItemError)
})

t.test('fingerprint matches the NIP-77 definition, carries included', async t => {
  const rnd = prng(2)
  const items = randomItems(rnd, 300)
  items.push({ ts: 1, id: new Uint8Array(32).fill(0xff) }, { ts: 2, id: new Uint8Array(32).fill(0xff) }, { ts: 3, id: new Uint8Array(32).fill(0xfe) })
  const s = SortedItems.from(items)
  const ids = Array.from({ length: s.size }, (_, i) => s.id(i))
  for (const [lo, hi] of [[0, 0], [0, 1], [0, 3], [0, s.size], [17, 18], [40, 299], [5, 203]] as const) {
    t.equal(Buffer.from(s.fingerprint(lo, hi)).toString('hex'), referenceFingerprint(ids.slice(lo, hi)), `[${lo}, ${hi})`)
  }
  t.equal(s.fingerprint(0, 0).length, 16)
  s.insert(5, new Uint8Array(32).fill(1))
  const ids2 = Array.from({ length: s.size }, (_, i) => s.id(i))
  t.equal(Buffer.from(s.fingerprint(0, s.size)).toString('hex'), referenceFingerprint(ids2), 'prefix sums rebuilt after insert')
})

t.test('equal sets: one round trip, nothing to do', async t => {
  const items = randomItems(prng(3), 10_000)
  const r = reconcileLocal(SortedItems.from(items), SortedItems.from(items))
  t.equal(r.rounds, 1)
  t.equal(r.have.length + r.need.length, 0)
  t.equal(r.bytesToInitiator, 1, 'the responder replies with the version byte only')
  t.comment(`equal 10,000: ${r.bytesToResponder + r.bytesToInitiator} bytes`)
})

t.test('disjoint sets', async t => {
  const rnd = prng(4)
  const a = randomItems(rnd, 700)
  const b = randomItems(rnd, 900)
  const r = reconcileLocal(SortedItems.from(a), SortedItems.from(b))
  checkDiff(t, a, b, r)
})

t.test('one difference among 10,000: at most 4 round trips', async t => {
  const rnd = prng(5)
  const common = randomItems(rnd, 9_999)
  const only = randomItems(rnd, 1)
  for (const [a, b] of [[[...common, ...only], common], [common, [...common, ...only]]]) {
    const r = reconcileLocal(SortedItems.from(a as Item[]), SortedItems.from(b as Item[]))
    checkDiff(t, a as Item[], b as Item[], r)
    t.ok(r.rounds <= 4, `${r.rounds} round trips`)
    t.ok(r.bytesToResponder + r.bytesToInitiator < 4096, 'under 4 KiB')
    t.comment(`1 of 10,000: ${r.rounds} round trips, ${r.bytesToResponder} + ${r.bytesToInitiator} bytes`)
  }
})

t.test('100 differences among 10,000 on both sides: exact have and need', async t => {
  const rnd = prng(6)
  const common = randomItems(rnd, 9_900)
  const a = [...common, ...randomItems(rnd, 50)]
  const b = [...common, ...randomItems(rnd, 50)]
  const r = reconcileLocal(SortedItems.from(a), SortedItems.from(b))
  checkDiff(t, a, b, r)
  t.ok(r.rounds <= 4, `${r.rounds} round trips`)
  t.comment(`100 of 10,000: ${r.rounds} round trips, ${r.bytesToResponder + r.bytesToInitiator} bytes`)
})

t.test('empty against full and empty against empty', async t => {
  const full = randomItems(prng(7), 5_000)
  const empty: Item[] = []
  const r1 = reconcileLocal(SortedItems.from(empty), SortedItems.from(full))
  checkDiff(t, empty, full, r1)
  const r2 = reconcileLocal(SortedItems.from(full), SortedItems.from(empty))
  checkDiff(t, full, empty, r2)
  t.equal(r2.rounds, 1, 'an empty responder settles everything in one round trip')
  const r3 = reconcileLocal(SortedItems.from(empty), SortedItems.from(empty))
  t.equal(r3.rounds, 1)
  t.equal(r3.have.length + r3.need.length, 0)
})

t.test('items with equal timestamps and long shared id prefixes', async t => {
  const rnd = prng(8)
  const make = (n: number): Item[] => Array.from({ length: n }, () => {
    const id = randomId(rnd)
    id.fill(0xab, 0, Math.floor(rnd() * 31)) // ids that agree on up to 30 leading bytes
    return { ts: BASE_TS + Math.floor(rnd() * 3), id }
  })
  const common = make(3_000)
  const a = [...common, ...make(40)]
  const b = [...common, ...make(60)]
  const r = reconcileLocal(SortedItems.from(a), SortedItems.from(b))
  checkDiff(t, a, b, r)
  const same = Array.from({ length: 2_000 }, () => ({ ts: 42, id: randomId(rnd) }))
  const r2 = reconcileLocal(SortedItems.from(same), SortedItems.from(same.slice(1)))
  checkDiff(t, same, same.slice(1), r2)
})

t.test('frame size limit honoured, continuation still converges', async t => {
  const rnd = prng(9)
  const common = randomItems(rnd, 4_000)
  const cases: Array<[Item[], Item[]]> = [
    [[...common, ...randomItems(rnd, 1_500)], [...common, ...randomItems(rnd, 1_500)]],
    [[], randomItems(rnd, 6_000)],
    [randomItems(rnd, 3_000), randomItems(rnd, 3_000)]
  ]
  for (const [a, b] of cases) {
    const r = reconcileLocal(SortedItems.from(a), SortedItems.from(b), { frameSizeLimit: 4096, maxRounds: 1000 })
    checkDiff(t, a, b, r)
    t.ok(Math.max(...r.frames) <= 4096, `largest frame ${Math.max(...r.frames)} bytes`)
    t.ok(r.rounds > 1, `needed ${r.rounds} rounds`)
  }
  t.throws(() => new Reconciler(new SortedItems(), { frameSizeLimit: 1000 }), RangeError)
})

t.test('randomized: have/need equal the true set differences (200 seeded cases)', async t => {
  const rnd = prng(10)
  for (let c = 0; c < 200; c++) {
    const seed = Math.floor(rnd() * 2 ** 31)
    const r0 = prng(seed)
    const span = [1, 50, 10_000, SPAN][Math.floor(r0() * 4)] as number
    const common = randomItems(r0, Math.floor(r0() * 3_000), span)
    const a = [...common, ...randomItems(r0, Math.floor(r0() ** 3 * 400), span)]
    const b = [...common, ...randomItems(r0, Math.floor(r0() ** 3 * 400), span)]
    const init = {
      frameSizeLimit: r0() < 0.3 ? 4096 : 60_000,
      maxRounds: 1000,
      buckets: 2 + Math.floor(r0() * 15),
      largeBuckets: 2 + Math.floor(r0() * 31),
      largeRange: Math.floor(r0() * 3000),
      prefixListThreshold: Math.floor(r0() * 49),
      idListThreshold: Math.floor(r0() * 9),
      fingerprintBytes: r0() < 0.5 ? 8 : 16
    }
    const r = reconcileLocal(SortedItems.from(a), SortedItems.from(b), init)
    const ak = hexSet(a.map(i => i.id))
    const bk = hexSet(b.map(i => i.id))
    const have = [...hexSet(r.have)].sort().join()
    const need = [...hexSet(r.need)].sort().join()
    const ok = have === [...ak].filter(k => !bk.has(k)).sort().join() &&
      need === [...bk].filter(k => !ak.has(k)).sort().join() &&
      r.have.length + r.need.length === hexSet(r.have).size + hexSet(r.need).size &&
      Math.max(...r.frames) <= init.frameSizeLimit
    if (!ok) { t.fail(`case ${c} (seed ${seed}) wrong`); return }
  }
  t.pass('200 cases agree with the true differences')
})

t.test('a responder that never converges hits the round limit', async t => {
  const items = SortedItems.from(randomItems(prng(11), 200))
  const a = new Reconciler(items, { maxRounds: 10 })
  a.initiate()
  // A hostile reply: a random fingerprint over everything, forever.
  const w = new FrameWriter()
  w.byte(PROTOCOL_VERSION)
  w.range(ZERO_BOUND, INFINITY_BOUND, Mode.Fingerprint)
  w.bytes(new Uint8Array(16).fill(9))
  const evil = w.finish()
  let rounds = 0
  t.throws(() => { for (;;) { a.reconcile(evil); rounds++ } }, RoundLimitError)
  t.equal(rounds, 10)
  t.throws(() => a.initiate(), ReconcilerStateError)
})

/** A valid first frame (with salt) carrying the given range bytes. */
function firstFrame (...parts: Array<number[] | Uint8Array>): Uint8Array {
  return Uint8Array.from([PROTOCOL_VERSION, ...new Uint8Array(8), ...parts.flatMap(p => [...p])])
}

t.test('malformed frames throw MalformedFrameError', async t => {
  const items = SortedItems.from(randomItems(prng(12), 3_000))
  const responder = (): Reconciler => new Reconciler(items, FIXED_SALT)
  const initiatorMsg = (() => {
    const other = SortedItems.from(randomItems(prng(13), 3_000))
    return new Reconciler(other, FIXED_SALT).initiate()
  })()
  const bad: Record<string, Uint8Array> = {
    empty: new Uint8Array(0),
    'bad version': Uint8Array.from([0x61, ...initiatorMsg.subarray(1)]),
    'missing salt': Uint8Array.from([PROTOCOL_VERSION, 1, 2]),
    'truncated fingerprint': initiatorMsg.subarray(0, initiatorMsg.length - 3),
    'unknown mode': firstFrame([0], [9]),
    'mode not allowed from an initiator': firstFrame([0], [Mode.IdList], [0]),
    'huge count': firstFrame([0], [Mode.PrefixList], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]),
    'count beyond the bytes present': firstFrame([0], [Mode.PrefixList], [100], new Uint8Array(40)),
    'varint too long': firstFrame([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
    'non-canonical varint': firstFrame([0x80, 0x00]),
    'bound prefix too long': firstFrame([3, 33], new Uint8Array(33), [Mode.Skip]),
    'empty bound prefix behind the flag': firstFrame([3, 0], [Mode.Skip]),
    'prefix on the infinity bound': firstFrame([1, 1, 5], [Mode.Skip]),
    'bounds not increasing': firstFrame([20], [Mode.Skip], [1], [Mode.Skip]),
    'range after infinity': firstFrame([0], [Mode.Skip], [20], [Mode.Skip]),
    'timestamp too large': firstFrame([...encodeVarint(2 ** 50)], [Mode.Skip]),
    oversize: firstFrame(new Uint8Array(MAX_FRAME_BYTES))
  }
  for (const [name, frame] of Object.entries(bad)) {
    t.throws(() => responder().reconcile(frame), MalformedFrameError, name)
  }
  // Replies the initiator did not ask for.
  const a = new Reconciler(items, FIXED_SALT)
  a.initiate()
  const reply = (...parts: number[][]): Uint8Array => Uint8Array.from([PROTOCOL_VERSION, ...parts.flat()])
  t.throws(() => a.reconcile(reply([0], [Mode.PrefixList], [0])), MalformedFrameError, 'PrefixList from a responder')
  t.throws(() => a.reconcile(reply([0], [Mode.IdListReply], [0], [5], [0])), MalformedFrameError, 'reply for a list never sent')
  t.throws(() => a.reconcile(reply([0], [Mode.IdListReply], [0], [3], [0xf8])), MalformedFrameError, 'bitmap padding bits set')
})

t.test('every truncation and random bytes: a result or MalformedFrameError, fast', async t => {
  const rnd = prng(14)
  const items = SortedItems.from(randomItems(rnd, 2_000))
  const other = SortedItems.from(randomItems(rnd, 2_000))
  const msg = new Reconciler(other, FIXED_SALT).initiate()
  const start = Date.now()
  let thrown = 0
  const attempt = (frame: Uint8Array): void => {
    try {
      new Reconciler(items, FIXED_SALT).reconcile(frame)
    } catch (err) {
      if ((err as Error).name !== 'MalformedFrameError') throw err
      thrown++
    }
  }
  for (let cut = 0; cut < msg.length; cut++) attempt(msg.subarray(0, cut))
  t.ok(thrown >= msg.length - 20, `${thrown} of ${msg.length} truncations rejected`)
  let randomThrown = 0
  for (let i = 0; i < 2_000; i++) {
    const len = Math.floor(rnd() * 300)
    const frame = new Uint8Array(len)
    for (let j = 0; j < len; j++) frame[j] = Math.floor(rnd() * 256)
    if (frame[0] === PROTOCOL_VERSION) frame[0] = 0x61
    t.throws(() => new Reconciler(items).reconcile(frame), MalformedFrameError)
    randomThrown++
    if (i % 2 === 0 && len > 9) frame[0] = PROTOCOL_VERSION // past the version check too
    attempt(frame)
  }
  t.equal(randomThrown, 2_000, 'random bytes behind a wrong version byte are always rejected')
  t.ok(Date.now() - start < 10_000, `took ${Date.now() - start} ms`)
})

t.test('wire bytes are stable (golden frames)', async t => {
  const item = (i: number): Item => ({ ts: 1000 + i * 10, id: new Uint8Array(createHash('sha256').update(`item ${i}`).digest()) })
  const a = SortedItems.from(Array.from({ length: 40 }, (_, i) => item(i)))
  const b = SortedItems.from(Array.from({ length: 41 }, (_, i) => item(i)).filter((_, i) => i !== 7))
  const first = new Reconciler(a, FIXED_SALT).initiate()
  t.equal(Buffer.from(first).toString('hex'), GOLDEN.first, 'first frame, 16-byte fingerprints')
  const reply = new Reconciler(b, FIXED_SALT).reconcile(first).reply as Uint8Array
  t.equal(Buffer.from(reply).toString('hex'), GOLDEN.reply, 'the reply to it')
  const short = new Reconciler(a, { ...FIXED_SALT, fingerprintBytes: 8 }).initiate()
  t.equal(Buffer.from(short).toString('hex'), GOLDEN.short, 'first frame, 8-byte salted fingerprints')
  t.equal(keyOf(Uint8Array.from([0x41, 0x42])), 'AB')
})

t.test('the two fingerprint variants never talk past each other', async t => {
  const items = SortedItems.from(randomItems(prng(15), 100))
  const msg = new Reconciler(items, { fingerprintBytes: 8 }).initiate()
  t.throws(() => new Reconciler(items).reconcile(msg), { name: 'MalformedFrameError', message: /version/ })
  t.throws(() => new Reconciler(items, { fingerprintBytes: 12 }), RangeError)
  const rnd = prng(16)
  const common = randomItems(rnd, 5_000)
  const x = [...common, ...randomItems(rnd, 30)]
  const y = [...common, ...randomItems(rnd, 30)]
  checkDiff(t, x, y, reconcileLocal(SortedItems.from(x), SortedItems.from(y), { fingerprintBytes: 8 }))
})

const GOLDEN = {
  first: '460707070707070707916a01ed38b499ae7a1be7e8e239b848bc9ea0820601f235d3c77ddd14aff92d6e0ba928207e000154ba454276f143c9b82448b775c1f9a9',
  reply: '469036016e02100241657fe34222de6c02c22b436601b041baaeef80852740542f5fed3e4e4b5201b7db2c68f77edd67caeece6601aa7d5282060066018ccd0d39cb74d9c39079b7441a35d22066010eb5f2eed240b1d667c2209e5f402f3b0001d81f97e48719da408f11422c40c12c13',
  short: '470707070707070707916a01de57702104438240820601a23dadbf1a6de01e0001679eddab296cc990'
}
