/**
 * The gossip router's verdicts (GossipRouter.judge), one case at a time with
 * an injected clock, and the bounded helpers behind it: SeenCache (size and
 * age), RateLimiter (burst and refill), Directory (bound, newer wins) and
 * readAnnounce's limits. judge never touches pubsub, so none is running here;
 * the multi-node behaviour is in tests/integration/hostile.test.ts.
 */
import t from 'tap'
import crypto from 'node:crypto'
import { GossipRouter, channelTopic, msgIdFn, gossipOptions } from '../../mesh/gossip.js'
import { Penalties } from '../../mesh/penalties.js'
import { SeenCache } from '../../mesh/seen.js'
import { RateLimiter } from '../../mesh/rate-limit.js'
import { Announce, Directory, makeAnnounce, readAnnounce, type DirectoryEntry } from '../../mesh/announce.js'
import { signEnvelope, validateEnvelope, Envelope, Kind, toHex, type BodyInit, type ValidEnvelope } from '../../mesh/envelope.js'
import {
  MAIL_TOPIC, ANNOUNCE_TOPIC, MAX_ENVELOPE_BYTES, MAX_LIFETIME_MS, MAX_CLOCK_SKEW_MS,
  ANNOUNCE_MAX_ADDRS, ANNOUNCE_MAX_NAME, SEEN_MAX, RATE_BURST
} from '../../mesh/constants.js'
import { identityFromSeed } from '../../node/identity.js'

const alice = identityFromSeed(new Uint8Array(32).fill(7))
const bob = identityFromSeed(new Uint8Array(32).fill(8))
const NOW = 1_700_000_000_000
const HOUR = 3_600_000
let serial = 0

function env (init: Partial<BodyInit> = {}, seed = alice.seed): Uint8Array {
  return signEnvelope(seed, {
    kind: Kind.DIRECT, from: alice.publicKey, to: bob.publicKey, created: NOW, expires: NOW + HOUR,
    payload: new Uint8Array([serial++ & 0xff, serial >> 8]), ...init
  }).bytes
}

function router (opts: { blocked?: Set<string>, known?: Set<string>, clock?: { t: number }, perSec?: number, burst?: number } = {}): GossipRouter {
  const clock = opts.clock ?? { t: NOW }
  return new GossipRouter({
    pubsub: {} as never,
    onEnvelope: () => {},
    isBlocked: k => opts.blocked?.has(toHex(k)) === true,
    isKnown: id => opts.known?.has(toHex(id)) === true,
    now: () => clock.t,
    rate: new RateLimiter({ perSec: opts.perSec ?? 1000, burst: opts.burst ?? 1000, now: () => clock.t }),
    seen: new SeenCache({ now: () => clock.t })
  })
}

const verdict = (r: GossipRouter, bytes: Uint8Array, topic = MAIL_TOPIC, peer = 'p1'): string => {
  const v = r.judge(topic, bytes, peer)
  return v.code === 'invalid' || v.code === 'ignored' ? `${v.code}:${v.reason}` : v.code
}

t.test('judge: a valid envelope, then the same again is a duplicate (from any peer)', async t => {
  const r = router()
  const bytes = env()
  const v = r.judge(MAIL_TOPIC, bytes, 'p1')
  t.equal(v.code, 'valid')
  if (v.code === 'valid') t.equal(toHex(v.envelope.id), toHex((validateEnvelope(bytes, { now: NOW }) as ValidEnvelope).id))
  t.equal(verdict(r, bytes, MAIL_TOPIC, 'p1'), 'duplicate')
  t.equal(verdict(r, bytes, MAIL_TOPIC, 'p2'), 'duplicate', 'dedupe is by envelope id, not by peer')
  // the hop count is unsigned and outside the id: a re-hopped copy is still a duplicate
  const rehopped = Envelope.encode({ ...Envelope.decode(bytes), hops: 5 })
  t.equal(verdict(r, rehopped), 'duplicate')
})

t.test('judge: an id the store already holds is a duplicate', async t => {
  const bytes = env()
  const id = toHex((validateEnvelope(bytes, { now: NOW }) as ValidEnvelope).id)
  t.equal(verdict(router({ known: new Set([id]) }), bytes), 'duplicate')
})

t.test('judge: each invalid reason', async t => {
  const r = router()
  const good = env()
  const forged = Envelope.decode(good)
  forged.sig = new Uint8Array(forged.sig)
  forged.sig[10] ^= 1
  const tampered = Envelope.decode(env())
  const body = new Uint8Array(tampered.body)
  body[body.length - 1] ^= 1 // payload byte changed after signing
  const cases: Array<[string, Uint8Array]> = [
    ['invalid:oversize', new Uint8Array(MAX_ENVELOPE_BYTES + 1)],
    ['invalid:malformed', new Uint8Array(crypto.randomBytes(300).fill(0xff, 0, 4))],
    ['invalid:malformed', Envelope.encode({ body: new Uint8Array([0xff, 0xff, 0xff]), sig: new Uint8Array(64), hops: 0 })],
    ['invalid:version', env({ v: 2 })],
    ['invalid:kind', env({ kind: Kind.KIND_UNSPECIFIED })],
    ['invalid:field-length', env({ to: new Uint8Array(31) })],
    ['invalid:field-length', env({ kind: Kind.ACK })], // an ACK without a ref
    ['invalid:expired', env({ created: NOW - 2 * HOUR, expires: NOW - 1 })],
    ['invalid:future', env({ created: NOW + MAX_CLOCK_SKEW_MS + 1000, expires: NOW + MAX_CLOCK_SKEW_MS + HOUR })],
    ['invalid:lifetime', env({ expires: NOW + MAX_LIFETIME_MS + 1 })],
    ['invalid:signature', Envelope.encode(forged)],
    ['invalid:signature', Envelope.encode({ ...tampered, body })],
    ['invalid:signature', env({}, bob.seed)] // from = alice, signed by bob
  ]
  for (const [want, bytes] of cases) t.equal(verdict(r, bytes), want, want)
  // nothing invalid entered the seen-cache: the good one is still new
  t.equal(verdict(r, good), 'valid')
})

t.test('judge: a kind on the wrong topic is invalid', async t => {
  const r = router()
  const chan = new Uint8Array(32).fill(3)
  const announce = makeAnnounce(alice.seed, alice.publicKey, { name: 'a', addrs: [], roles: [] }, NOW).bytes
  t.equal(verdict(r, env(), ANNOUNCE_TOPIC), 'invalid:topic', 'DIRECT on announce')
  t.equal(verdict(r, announce, MAIL_TOPIC), 'invalid:topic', 'ANNOUNCE on mail')
  t.equal(verdict(r, env({ kind: Kind.CHANNEL, to: chan }), MAIL_TOPIC), 'invalid:topic', 'CHANNEL on mail')
  t.equal(verdict(r, env({ kind: Kind.CHANNEL, to: chan }), channelTopic(new Uint8Array(32).fill(4))), 'invalid:topic', 'CHANNEL on another channel')
  t.equal(verdict(r, env(), channelTopic(bob.publicKey)), 'invalid:topic', 'DIRECT on a channel topic')
  t.equal(verdict(r, env(), '/some/other/topic'), 'invalid:topic', 'unknown topic')
  t.equal(verdict(r, env({ kind: Kind.CHANNEL, to: chan }), channelTopic(chan)), 'valid', 'CHANNEL on its own channel')
  t.equal(verdict(r, env({ kind: Kind.CONTROL, to: chan }), channelTopic(chan)), 'valid', 'CONTROL on its channel')
  t.equal(verdict(r, env({ kind: Kind.ACK, ref: new Uint8Array(32).fill(9) }), MAIL_TOPIC), 'valid', 'ACK on mail')
  t.equal(verdict(r, announce, ANNOUNCE_TOPIC), 'valid', 'ANNOUNCE on announce')
})

t.test('judge: a blocked author is ignored (not invalid, not marked seen)', async t => {
  const blocked = new Set([toHex(alice.publicKey)])
  const r = router({ blocked })
  const bytes = env()
  t.equal(verdict(r, bytes), 'ignored:blocked')
  t.equal(verdict(r, env({ from: bob.publicKey, to: alice.publicKey }, bob.seed)), 'valid', 'others still pass')
  blocked.clear()
  t.equal(verdict(r, bytes), 'valid', 'unblocked: the same envelope is new')
})

t.test('judge: over the per-peer rate is ignored; other peers and refills pass', async t => {
  const clock = { t: NOW }
  const r = router({ clock, perSec: 10, burst: 3 })
  const out = [0, 1, 2, 3].map(() => verdict(r, env(), MAIL_TOPIC, 'flooder'))
  t.same(out, ['valid', 'valid', 'valid', 'ignored:rate'])
  t.equal(verdict(r, new Uint8Array(5), MAIL_TOPIC, 'flooder'), 'ignored:rate', 'rate is checked before any decoding')
  t.equal(verdict(r, env(), MAIL_TOPIC, 'calm'), 'valid', 'another peer has its own bucket')
  clock.t += 100 // 10/s → one token
  t.equal(verdict(r, env(), MAIL_TOPIC, 'flooder'), 'valid')
  t.equal(verdict(r, env(), MAIL_TOPIC, 'flooder'), 'ignored:rate')
})

t.test('msgIdFn is the envelope id; gossipOptions score every funkpost topic', async t => {
  const bytes = env()
  const id = (validateEnvelope(bytes, { now: NOW }) as ValidEnvelope).id
  t.equal(toHex(msgIdFn({ type: 'unsigned', topic: MAIL_TOPIC, data: bytes })), toHex(id))
  const garbage = new Uint8Array([0xff, 0xff, 0xff])
  t.equal(msgIdFn({ type: 'unsigned', topic: MAIL_TOPIC, data: garbage }).length, 32, 'undecodable data still gets an id')
  const penalties = new Penalties()
  const o = gossipOptions({ penalties })
  for (const topic of [MAIL_TOPIC, ANNOUNCE_TOPIC]) {
    t.ok((o.scoreParams?.topics?.[topic]?.invalidMessageDeliveriesWeight ?? 0) < 0, `${topic}: invalid deliveries are penalised`)
  }
  // Channel topics come and go: their invalid envelopes count through the application score.
  t.equal(o.scoreParams?.appSpecificScore?.('peer-a'), 0, 'no penalty, no application score')
  penalties.add('peer-a')
  t.ok((o.scoreParams?.appSpecificScore?.('peer-a') ?? 0) < -80, 'one invalid envelope takes a peer below the graylist threshold through the application score')
  t.ok((o.maxInboundDataLength ?? 0) > 4 * MAX_ENVELOPE_BYTES, 'a gossip frame holds several envelopes, so an oversize one reaches the validator')
})

t.test('SeenCache: bounded in size (oldest evicted) and in age', async t => {
  const clock = { t: 0 }
  const s = new SeenCache({ max: 3, ttlMs: 1000, now: () => clock.t })
  t.ok(s.add('a')); t.ok(s.add('b')); t.ok(s.add('c'))
  t.notOk(s.add('a'), 'a repeat is reported')
  t.ok(s.add('d'))
  t.equal(s.size, 3, 'never above max')
  t.notOk(s.has('a'), 'the oldest went first')
  t.ok(s.has('d'))
  clock.t = 1001
  t.notOk(s.has('b'), 'expired after ttl')
  t.ok(s.add('c'), 'an expired id is new again')
  const big = new SeenCache({ now: () => 0 })
  for (let i = 0; i < SEEN_MAX + 500; i++) big.add(String(i))
  t.equal(big.size, SEEN_MAX, 'the default bound holds')
  t.notOk(big.has('0'))
  t.ok(big.has(String(SEEN_MAX + 499)))
})

t.test('RateLimiter: burst, refill, cap at burst, bounded peers', async t => {
  const clock = { t: 0 }
  const r = new RateLimiter({ perSec: 2, burst: 4, maxPeers: 2, now: () => clock.t })
  t.same([1, 2, 3, 4, 5].map(() => r.take('a')), [true, true, true, true, false])
  clock.t += 499
  t.notOk(r.take('a'), 'not yet a whole token')
  clock.t += 1
  t.ok(r.take('a'), 'one token after 500 ms at 2/s')
  t.notOk(r.take('a'))
  clock.t += 60_000
  t.same([1, 2, 3, 4, 5].map(() => r.take('a')), [true, true, true, true, false], 'refill is capped at the burst')
  // a third peer evicts the least recently seen; an evicted peer starts with a full bucket again
  t.ok(r.take('b'))
  t.ok(r.take('c'))
  t.ok(r.take('a'), 'a was evicted, so it is tracked afresh')
  const d = new RateLimiter({ now: () => 0 })
  let n = 0
  while (d.take('x') && n < 10_000) n++
  t.equal(n, RATE_BURST, 'default burst')
})

function announceWith (p: { name?: string, addrs?: string[], roles?: string[] }, created = NOW, seed = alice.seed, pub = alice.publicKey): ValidEnvelope {
  const payload = Announce.encode({ name: p.name ?? 'n', addrs: p.addrs ?? [], roles: p.roles ?? [] })
  const s = signEnvelope(seed, { kind: Kind.ANNOUNCE, from: pub, to: pub, created, expires: created + HOUR, payload })
  return { code: 'valid', id: s.id, envelope: s.envelope, body: s.body }
}

t.test('readAnnounce: parses within limits, refuses beyond them', async t => {
  const e = readAnnounce(announceWith({ name: 'tower', addrs: ['/ip4/10.0.0.1/tcp/7337'], roles: ['relay'] }))
  t.same(e && { name: e.name, addrs: e.addrs, roles: e.roles, at: e.at, key: e.key }, {
    name: 'tower', addrs: ['/ip4/10.0.0.1/tcp/7337'], roles: ['relay'], at: NOW, key: toHex(alice.publicKey)
  })
  t.equal(e?.id, alice.id)
  const addrs = (n: number): string[] => Array.from({ length: n }, (_, i) => `/ip4/10.0.0.${i}/tcp/1`)
  t.ok(readAnnounce(announceWith({ addrs: addrs(ANNOUNCE_MAX_ADDRS) })), 'at the address limit')
  t.equal(readAnnounce(announceWith({ addrs: addrs(ANNOUNCE_MAX_ADDRS + 1) })), undefined, 'too many addresses')
  t.ok(readAnnounce(announceWith({ name: 'x'.repeat(ANNOUNCE_MAX_NAME) })), 'at the name limit')
  t.equal(readAnnounce(announceWith({ name: 'x'.repeat(ANNOUNCE_MAX_NAME + 1) })), undefined, 'name too long')
  t.equal(readAnnounce(announceWith({ addrs: ['/' + 'a'.repeat(300)] })), undefined, 'address too long')
  t.equal(readAnnounce(announceWith({ roles: Array.from({ length: 9 }, () => 'relay') })), undefined, 'too many roles')
  t.equal(readAnnounce(announceWith({ roles: ['r'.repeat(33)] })), undefined, 'role too long')
  const garbled = announceWith({})
  garbled.body = { ...garbled.body, payload: new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f]) }
  t.equal(readAnnounce(garbled), undefined, 'undecodable payload')
  const direct = announceWith({})
  direct.body = { ...direct.body, kind: Kind.DIRECT }
  t.equal(readAnnounce(direct), undefined, 'not an ANNOUNCE')
  // makeAnnounce itself cuts to the limits, so an honest node never makes an unreadable one
  const made = makeAnnounce(alice.seed, alice.publicKey, { name: 'y'.repeat(200), addrs: addrs(40), roles: [] }, NOW)
  const back = readAnnounce({ code: 'valid', id: made.id, envelope: made.envelope, body: made.body })
  t.equal(back?.name.length, ANNOUNCE_MAX_NAME)
  t.equal(back?.addrs.length, ANNOUNCE_MAX_ADDRS)
})

t.test('Directory: newer wins, bounded (least recently updated dropped), expired hidden', async t => {
  const clock = { t: NOW }
  const d = new Directory(3, () => clock.t)
  const entry = (id: string, at: number, name = id): DirectoryEntry => ({ id, key: id, name, addrs: [], roles: [], at, expires: at + HOUR })
  t.ok(d.update(entry('a', NOW, 'old')))
  t.notOk(d.update(entry('a', NOW - 1, 'older')), 'an older announce loses')
  t.notOk(d.update(entry('a', NOW, 'same')), 'the same time loses (no flapping)')
  t.ok(d.update(entry('a', NOW + 1, 'new')), 'a newer announce wins')
  t.equal(d.get('a')?.name, 'new')
  t.ok(d.update(entry('b', NOW)))
  t.ok(d.update(entry('c', NOW)))
  t.ok(d.update(entry('a', NOW + 2, 'newest')), 'a refreshed: now the most recent')
  t.ok(d.update(entry('d', NOW)))
  t.equal(d.list().length, 3, 'never above max')
  t.equal(d.get('b'), undefined, 'the least recently updated was dropped')
  t.ok(d.get('a'))
  t.same(d.byName('newest').map(e => e.id), ['a'])
  clock.t = NOW + HOUR + 1
  t.same(d.list().map(e => e.id), ['a'], 'expired entries are not listed')
})
