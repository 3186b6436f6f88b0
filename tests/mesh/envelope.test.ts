/**
 * Envelope validation, one reason at a time with an injected `now`; the
 * hop count is outside the signature and the id; id = sha256(body).
 */
import t from 'tap'
import crypto from 'node:crypto'
import {
  signEnvelope, validateEnvelope, validateDecoded, withHops, encodeEnvelope, envelopeId,
  Envelope, Body, Kind, Priority, PRIORITY_RANK, toHex, fromHex, type BodyInit, type ValidationResult
} from '../../mesh/envelope.js'
import { nobleEd25519, nativeEd25519 } from '../../mesh/ed25519.js'
import { identityFromSeed } from '../../node/identity.js'
import { MAX_ENVELOPE_BYTES, MAX_CLOCK_SKEW_MS, MAX_LIFETIME_MS, SIGN_DOMAIN } from '../../mesh/constants.js'

const alice = identityFromSeed(new Uint8Array(32).fill(1))
const bob = identityFromSeed(new Uint8Array(32).fill(2))
const now = 1_700_000_000_000
const HOUR = 3_600_000

function make (init: Partial<BodyInit> = {}, seed = alice.seed): Uint8Array {
  return signEnvelope(seed, { kind: Kind.DIRECT, from: alice.publicKey, to: bob.publicKey, created: now, expires: now + HOUR, ...init }).bytes
}
const check = (bytes: Uint8Array, extra: { maxBytes?: number, maxSkewMs?: number, maxLifetimeMs?: number, at?: number } = {}): ValidationResult =>
  validateEnvelope(bytes, { now: extra.at ?? now, maxBytes: extra.maxBytes, maxSkewMs: extra.maxSkewMs, maxLifetimeMs: extra.maxLifetimeMs })
const reason = (r: ValidationResult): string => r.code === 'valid' ? 'valid' : r.reason

t.test('a signed envelope is valid and decodes to what was signed', async t => {
  const payload = new Uint8Array([1, 2, 3])
  const s = signEnvelope(alice.seed, { kind: Kind.CHANNEL, from: alice.publicKey, to: bob.publicKey, created: now, expires: now + HOUR, priority: Priority.LOW, payload })
  const r = check(s.bytes)
  if (r.code !== 'valid') throw new Error(r.reason)
  t.equal(toHex(r.id), toHex(s.id))
  t.equal(r.body.kind, Kind.CHANNEL)
  t.equal(r.body.priority, Priority.LOW)
  t.equal(toHex(r.body.payload), '010203')
  t.equal(r.body.created, now)
  t.equal(r.envelope.hops, 0)
  t.equal(toHex(encodeEnvelope(r.envelope)), toHex(s.bytes))
  for (const signer of [nobleEd25519, nativeEd25519]) {
    t.equal(validateEnvelope(s.bytes, { now, signer }).code, 'valid', signer.name)
  }
  // signed with noble, the same bytes as with native (deterministic signatures)
  t.equal(toHex(signEnvelope(alice.seed, { kind: Kind.CHANNEL, from: alice.publicKey, to: bob.publicKey, created: now, expires: now + HOUR, priority: Priority.LOW, payload }, nobleEd25519).bytes), toHex(s.bytes))
})

t.test('id = sha256(body bytes); the signature covers domain tag + body', async t => {
  const s = signEnvelope(alice.seed, { kind: Kind.DIRECT, from: alice.publicKey, to: bob.publicKey, created: now, expires: now + HOUR })
  t.equal(toHex(s.id), crypto.createHash('sha256').update(s.envelope.body).digest('hex'))
  t.equal(toHex(envelopeId(s.envelope.body)), toHex(s.id))
  t.equal(toHex(Body.encode(s.body)), toHex(s.envelope.body))
  const signed = new Uint8Array([...SIGN_DOMAIN, ...s.envelope.body])
  t.ok(nobleEd25519.verify(s.envelope.sig, signed, alice.publicKey), 'sig = Ed25519(domain || body)')
  t.notOk(nobleEd25519.verify(s.envelope.sig, s.envelope.body, alice.publicKey), 'not over the bare body')
  const other = make({ payload: new Uint8Array([1]) })
  t.not(toHex(envelopeId(Envelope.decode(other).body)), toHex(s.id), 'another body, another id')
})

t.test('hops is not signed: withHops keeps it valid with the same id', async t => {
  const s = signEnvelope(alice.seed, { kind: Kind.DIRECT, from: alice.publicKey, to: bob.publicKey, created: now, expires: now + HOUR })
  for (const hops of [1, 3, 7, 100, 0xffffffff]) {
    const bytes = withHops(s.envelope, hops)
    t.not(toHex(bytes), toHex(s.bytes))
    const r = check(bytes)
    if (r.code !== 'valid') throw new Error(`hops ${hops}: ${r.reason}`)
    t.equal(r.envelope.hops, hops)
    t.equal(toHex(r.id), toHex(s.id), `hops ${hops}: same id`)
  }
  t.equal(toHex(withHops(s.envelope, 0)), toHex(s.bytes))
})

t.test('oversize: refused on size alone, before any parsing', async t => {
  t.equal(reason(check(new Uint8Array(MAX_ENVELOPE_BYTES + 1))), 'oversize')
  t.equal(reason(check(new Uint8Array(MAX_ENVELOPE_BYTES + 1).fill(0xff))), 'oversize')
  const small = make()
  t.equal(reason(check(small, { maxBytes: small.length - 1 })), 'oversize', 'policy.maxBytes')
  t.equal(reason(check(small, { maxBytes: small.length })), 'valid', 'exactly at the limit')
  // an envelope of exactly MAX_ENVELOPE_BYTES is still valid
  let len = MAX_ENVELOPE_BYTES - 200
  let bytes = make({ payload: new Uint8Array(len) })
  len += MAX_ENVELOPE_BYTES - bytes.length
  bytes = make({ payload: new Uint8Array(len) })
  t.equal(bytes.length, MAX_ENVELOPE_BYTES)
  t.equal(reason(check(bytes)), 'valid')
  t.equal(reason(check(make({ payload: new Uint8Array(len + 1) }))), 'oversize')
})

t.test('malformed', async t => {
  const good = make()
  t.equal(reason(check(good.subarray(0, good.length - 1))), 'malformed', 'truncated')
  t.equal(reason(check(new Uint8Array(11).fill(0xff))), 'malformed', 'overlong varint')
  t.equal(reason(check(new Uint8Array([0x0a, 0x05, 0x01]))), 'malformed', 'length beyond the end')
  t.equal(reason(check(new Uint8Array([0x0f]))), 'malformed', 'wire type 7')
  const badBody = Envelope.encode({ body: new Uint8Array([0x22, 0x40]), sig: new Uint8Array(64), hops: 0 })
  t.equal(reason(check(badBody)), 'malformed', 'body does not decode')
  t.equal(reason(check(new Uint8Array(0))), 'version', 'empty bytes decode to an empty (version 0) envelope')
})

t.test('version', async t => {
  t.equal(reason(check(make({ v: 2 }))), 'version')
  t.equal(reason(check(make({ v: 0 }))), 'version')
  t.equal(reason(check(make({ v: 1 }))), 'valid')
})

t.test('kind', async t => {
  t.equal(reason(check(make({ kind: Kind.KIND_UNSPECIFIED }))), 'kind')
  for (const kind of [Kind.DIRECT, Kind.CHANNEL, Kind.ANNOUNCE, Kind.CONTROL]) t.equal(reason(check(make({ kind }))), 'valid', kind)
})

t.test('field-length', async t => {
  const ref = new Uint8Array(32).fill(9)
  t.equal(reason(check(make({ from: alice.publicKey.subarray(0, 31) }))), 'field-length', 'from 31')
  t.equal(reason(check(make({ to: new Uint8Array(33) }))), 'field-length', 'to 33')
  t.equal(reason(check(make({ to: new Uint8Array(0) }))), 'field-length', 'to empty')
  t.equal(reason(check(make({ ref: ref.subarray(0, 31) }))), 'field-length', 'ref 31')
  t.equal(reason(check(make({ ref }))), 'valid', 'ref 32')
  t.equal(reason(check(make({ kind: Kind.ACK }))), 'field-length', 'ACK without ref')
  t.equal(reason(check(make({ kind: Kind.ACK, ref: new Uint8Array(16) }))), 'field-length', 'ACK with a 16-byte ref')
  t.equal(reason(check(make({ kind: Kind.ACK, ref }))), 'valid', 'ACK with a 32-byte ref')
  const env = Envelope.decode(make())
  for (const n of [0, 63, 65]) {
    const sig = new Uint8Array(n)
    sig.set(env.sig.subarray(0, Math.min(n, 64)))
    t.equal(reason(check(Envelope.encode({ ...env, sig }))), 'field-length', `sig ${n}`)
  }
})

t.test('time: expired, future, lifetime, against the injected now', async t => {
  t.equal(reason(check(make({ created: now - HOUR, expires: now }))), 'expired', 'expires == now')
  t.equal(reason(check(make({ created: now - HOUR, expires: now + 1 }))), 'valid', 'expires == now + 1')
  t.equal(reason(check(make(), { at: now + HOUR })), 'expired', 'the same envelope an hour later')
  t.equal(reason(check(make(), { at: now + HOUR - 1 })), 'valid')
  t.equal(reason(check(make({ created: now + MAX_CLOCK_SKEW_MS, expires: now + MAX_CLOCK_SKEW_MS + HOUR }))), 'valid', 'created at the skew limit')
  t.equal(reason(check(make({ created: now + MAX_CLOCK_SKEW_MS + 1, expires: now + MAX_CLOCK_SKEW_MS + HOUR }))), 'future', 'one ms past it')
  t.equal(reason(check(make({ created: now + 1000, expires: now + HOUR }), { maxSkewMs: 999 })), 'future', 'policy.maxSkewMs')
  t.equal(reason(check(make({ created: now, expires: now + MAX_LIFETIME_MS }))), 'valid', 'maximum lifetime')
  t.equal(reason(check(make({ created: now, expires: now + MAX_LIFETIME_MS + 1 }))), 'lifetime', 'one ms longer')
  t.equal(reason(check(make({ created: now + 2000, expires: now + 1000 }))), 'lifetime', 'expires before created')
  t.equal(reason(check(make({ created: now + 2000, expires: now + 2000 }))), 'lifetime', 'zero lifetime')
  t.equal(reason(check(make(), { maxLifetimeMs: HOUR - 1 })), 'lifetime', 'policy.maxLifetimeMs')
  // without an injected now, Date.now() is used
  const fresh = make({ created: Date.now(), expires: Date.now() + HOUR })
  t.equal(validateEnvelope(fresh).code, 'valid')
  t.equal(reason(validateEnvelope(make())), 'expired', 'an envelope of 2023 is expired today')
})

t.test('signature', async t => {
  const env = Envelope.decode(make())
  const sig = Uint8Array.from(env.sig)
  sig[0] ^= 1
  t.equal(reason(check(Envelope.encode({ ...env, sig }))), 'signature', 'flipped bit in sig')
  const withPayload = Envelope.decode(make({ payload: new Uint8Array([1, 2, 3]) }))
  const body = Uint8Array.from(withPayload.body)
  body[body.length - 1] ^= 1
  t.equal(reason(check(Envelope.encode({ ...withPayload, body }))), 'signature', 'flipped bit in the payload')
  t.equal(reason(check(make({}, bob.seed))), 'signature', 'signed by another key than from')
  t.equal(reason(check(make({ from: new Uint8Array(32) }))), 'signature', 'from is not a valid key')
  // re-signing someone else's body as your own changes from, hence the id
  const stolen = Body.decode(env.body)
  const resigned = signEnvelope(bob.seed, { ...stolen, from: bob.publicKey })
  t.equal(reason(check(resigned.bytes)), 'valid')
  t.not(toHex(resigned.id), toHex(envelopeId(env.body)))
})

t.test('validateDecoded runs the same checks on decoded values', async t => {
  const env = Envelope.decode(make())
  const body = Body.decode(env.body)
  t.equal(validateDecoded(env, body, { now }).code, 'valid')
  t.same(validateDecoded(env, { ...body, v: 3 }, { now }), { code: 'invalid', reason: 'version' })
  t.same(validateDecoded(env, body, { now: now + HOUR }), { code: 'invalid', reason: 'expired' })
  t.same(validateDecoded(env, { ...body, payload: new Uint8Array([1]) }, { now }).code, 'valid',
    'the signature is over envelope.body bytes, not re-encoded fields')
})

t.test('priority rank and hex helpers', async t => {
  t.ok(PRIORITY_RANK[Priority.CRITICAL] < PRIORITY_RANK[Priority.NORMAL] && PRIORITY_RANK[Priority.NORMAL] < PRIORITY_RANK[Priority.LOW])
  t.equal(toHex(fromHex('00ff10')), '00ff10')
  t.equal(toHex(new Uint8Array([1, 2, 3, 4]).subarray(1, 3)), '0203', 'respects byteOffset')
})
