/**
 * Generator of the golden envelope vectors (tests/vectors/envelope.json).
 * Everything is fixed: seeds, timestamps, the validation `now` and the
 * ephemeral key of the sealed examples, so the output is reproducible byte
 * for byte. tests/mesh/vectors.test.ts checks that it still is, and
 * rewrites the file when run with FUNKPOST_WRITE_VECTORS=1.
 *
 * Signatures are made with the reference implementation (@noble/ed25519).
 */
import crypto from 'node:crypto'
import { x25519 as nobleX } from '@noble/curves/ed25519.js'
import { Envelope, Body, Kind, Priority, signEnvelope, envelopeId, toHex, type BodyInit } from '../../mesh/envelope.js'
import { nobleEd25519 } from '../../mesh/ed25519.js'
import { nobleX25519, type X25519 } from '../../mesh/x25519.js'
import { seal, type SealHeader } from '../../mesh/seal.js'
import { Content, ContentType } from '../../mesh/content.js'
import { idFromPublicKey } from '../../mesh/ids.js'
import {
  MAX_ENVELOPE_BYTES, MAX_CLOCK_SKEW_MS, MAX_LIFETIME_MS, DEFAULT_LIFETIME_MS, SIGN_DOMAIN
} from '../../mesh/constants.js'
import type { InvalidReason } from '../../mesh/envelope.js'

/** The validation time of every vector: 2023-11-14T22:13:20Z. */
export const VECTOR_NOW = 1_700_000_000_000

const seedOf = (byte: number): Uint8Array => new Uint8Array(32).fill(byte)
const sha256 = (s: string): Uint8Array => new Uint8Array(crypto.createHash('sha256').update(s).digest())
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

export const KEYS = {
  alice: seedOf(0x01),
  bob: seedOf(0x02),
  carol: seedOf(0x03)
}
/** Raw X25519 secret used as the "ephemeral" key of the sealed examples. */
export const EPHEMERAL_SECRET = seedOf(0x04)
export const CHANNEL_ID = sha256('funkpost/vectors/channel')
export const ANNOUNCE_TOPIC = sha256('funkpost/vectors/announce')

export interface BodyJson {
  v: number, kind: string, from: string, to: string, created: number, expires: number
  priority: string, ref: string, payload: string
}
export interface ValidVector { name: string, hex: string, id: string, sig: string, hops: number, body: BodyJson }
export interface InvalidVector { name: string, hex: string, reason: InvalidReason }
export interface SealedVector {
  name: string
  recipientSeed: string
  ephemeralSecret: string
  header: { from: string, to: string, created: number, expires: number }
  content: { type: string, text: string, nonce: string }
  plaintext: string
  sealed: string
}
export interface VectorFile {
  description: string
  now: number
  keys: Array<{ name: string, seed: string, publicKey: string, id: string }>
  valid: ValidVector[]
  invalid: InvalidVector[]
  sealed: SealedVector[]
}

const pub = (seed: Uint8Array): Uint8Array => nobleEd25519.publicKey(seed)

function bodyJson (b: Body): BodyJson {
  return {
    v: b.v, kind: b.kind, from: toHex(b.from), to: toHex(b.to), created: b.created, expires: b.expires,
    priority: b.priority, ref: toHex(b.ref), payload: toHex(b.payload)
  }
}

/** Sign arbitrary Body bytes (for bodies signEnvelope cannot build). */
function signRaw (seed: Uint8Array, bodyBytes: Uint8Array, hops = 0): Uint8Array {
  const msg = new Uint8Array(SIGN_DOMAIN.length + bodyBytes.length)
  msg.set(SIGN_DOMAIN, 0)
  msg.set(bodyBytes, SIGN_DOMAIN.length)
  const sig = nobleEd25519.sign(seed, msg)
  return Envelope.encode({ body: bodyBytes as Uint8Array<ArrayBuffer>, sig: sig as Uint8Array<ArrayBuffer>, hops })
}

function sign (seed: Uint8Array, init: Partial<BodyInit>): Uint8Array {
  const created = init.created ?? VECTOR_NOW - 60_000
  return signEnvelope(seed, {
    kind: Kind.DIRECT,
    from: pub(seed),
    to: pub(KEYS.bob),
    expires: created + DEFAULT_LIFETIME_MS,
    ...init,
    created
  }, nobleEd25519).bytes
}

function valid (name: string, bytes: Uint8Array): ValidVector {
  const env = Envelope.decode(bytes)
  return {
    name, hex: toHex(bytes), id: toHex(envelopeId(env.body)), sig: toHex(env.sig), hops: env.hops, body: bodyJson(Body.decode(env.body))
  }
}

/** An X25519 whose "ephemeral" key is fixed: makes seal() deterministic. */
function fixedEphemeral (secret: Uint8Array): X25519 {
  return { name: 'fixed', generate: () => ({ secret, publicKey: nobleX.getPublicKey(secret) }), shared: nobleX25519.shared }
}

function sealed (name: string, header: SealHeader, recipientSeed: Uint8Array, type: ContentType, text: string, nonce: Uint8Array): SealedVector {
  const plaintext = Content.encode({ type, text, nonce: nonce as Uint8Array<ArrayBuffer> })
  const box = seal(plaintext, header, fixedEphemeral(EPHEMERAL_SECRET))
  return {
    name,
    recipientSeed: toHex(recipientSeed),
    ephemeralSecret: toHex(EPHEMERAL_SECRET),
    header: { from: toHex(header.from), to: toHex(header.to), created: header.created, expires: header.expires },
    content: { type, text, nonce: toHex(nonce) },
    plaintext: toHex(plaintext),
    sealed: toHex(box)
  }
}

/** An envelope of exactly `size` bytes: a signed DIRECT whose payload fills it. */
function envelopeOfSize (size: number): Uint8Array {
  let len = size - 200
  for (let i = 0; i < 8; i++) {
    const bytes = sign(KEYS.alice, { payload: new Uint8Array(len).fill(0x5a) })
    if (bytes.length === size) return bytes
    len += size - bytes.length
  }
  throw new Error(`cannot build an envelope of ${size} bytes`)
}

export function generateVectors (): VectorFile {
  const now = VECTOR_NOW
  const alice = pub(KEYS.alice)
  const bob = pub(KEYS.bob)
  const created = now - 60_000
  const header: SealHeader = { from: alice, to: bob, created, expires: created + DEFAULT_LIFETIME_MS }
  const sealedVectors = [
    sealed('text-alice-to-bob', header, KEYS.bob, ContentType.TEXT, 'hello bob, this is alice', seedOf(0x05).subarray(0, 8)),
    sealed('reply-1024-bucket', header, KEYS.bob, ContentType.REPLY, 'x'.repeat(300), seedOf(0x06).subarray(0, 8))
  ]
  const direct = sign(KEYS.alice, { payload: Buffer.from(sealedVectors[0].sealed, 'hex') })
  const directId = envelopeId(Envelope.decode(direct).body)

  const good = Body.encode({
    v: 1, kind: Kind.DIRECT, from: alice as Uint8Array<ArrayBuffer>, to: bob as Uint8Array<ArrayBuffer>,
    created, expires: created + DEFAULT_LIFETIME_MS, priority: Priority.NORMAL, ref: new Uint8Array(0), payload: utf8('hi') as Uint8Array<ArrayBuffer>
  })
  if (good[2] !== 0x10 || good[3] !== 0x01) throw new Error('unexpected Body layout: kind is not the second field')
  const unknownKind = Uint8Array.from(good)
  unknownKind[3] = 0x09
  const withUnknownField = new Uint8Array([...good, 0x78, 0x2a]) // field 15, varint 42: newer writers may add fields

  const goodEnv = Envelope.decode(direct)
  const flippedSig = Uint8Array.from(goodEnv.sig)
  flippedSig[10] ^= 0x01
  const tamperedBody = Uint8Array.from(good)
  tamperedBody[tamperedBody.length - 1] ^= 0x01
  const noDomainSig = nobleEd25519.sign(KEYS.alice, good)

  const validVectors: ValidVector[] = [
    valid('direct-sealed', direct),
    valid('direct-sealed-hops-3', Envelope.encode({ ...goodEnv, hops: 3 })),
    valid('channel-post', sign(KEYS.alice, { kind: Kind.CHANNEL, to: CHANNEL_ID, payload: utf8('hello, mesh') })),
    valid('ack', sign(KEYS.bob, { kind: Kind.ACK, to: alice, ref: directId, priority: Priority.CRITICAL })),
    valid('announce-low', sign(KEYS.carol, { kind: Kind.ANNOUNCE, to: ANNOUNCE_TOPIC, priority: Priority.LOW, payload: utf8('{"name":"carol"}') })),
    valid('control', sign(KEYS.alice, { kind: Kind.CONTROL, to: alice })),
    valid('reply-with-ref', sign(KEYS.alice, { ref: directId })),
    valid('edge-max-skew-max-lifetime', sign(KEYS.alice, { created: now + MAX_CLOCK_SKEW_MS, expires: now + MAX_CLOCK_SKEW_MS + MAX_LIFETIME_MS })),
    valid('edge-expires-in-1ms', sign(KEYS.alice, { created: now - 1000, expires: now + 1 })),
    valid('unknown-body-field', signRaw(KEYS.alice, withUnknownField))
  ]

  const inv = (name: string, bytes: Uint8Array, reason: InvalidReason): InvalidVector => ({ name, hex: toHex(bytes), reason })
  const invalidVectors: InvalidVector[] = [
    inv('oversize-by-1', envelopeOfSize(MAX_ENVELOPE_BYTES + 1), 'oversize'),
    inv('malformed-truncated', direct.subarray(0, direct.length - 1), 'malformed'),
    inv('malformed-varint-overlong', new Uint8Array(12).fill(0xff), 'malformed'),
    inv('malformed-body-truncated-field', Envelope.encode({ body: new Uint8Array([0x1a, 0x20, 0x01]), sig: flippedSig, hops: 0 }), 'malformed'),
    inv('malformed-unknown-kind-value', signRaw(KEYS.alice, unknownKind), 'malformed'),
    inv('version-2', sign(KEYS.alice, { v: 2 }), 'version'),
    inv('version-0', sign(KEYS.alice, { v: 0 }), 'version'),
    inv('kind-unspecified', sign(KEYS.alice, { kind: Kind.KIND_UNSPECIFIED }), 'kind'),
    inv('field-length-from-31', sign(KEYS.alice, { from: alice.subarray(0, 31) }), 'field-length'),
    inv('field-length-from-empty', sign(KEYS.alice, { from: new Uint8Array(0) }), 'field-length'),
    inv('field-length-to-33', sign(KEYS.alice, { to: new Uint8Array([...bob, 0]) }), 'field-length'),
    inv('field-length-sig-63', Envelope.encode({ ...goodEnv, sig: goodEnv.sig.subarray(0, 63) }), 'field-length'),
    inv('field-length-ref-16', sign(KEYS.alice, { ref: directId.subarray(0, 16) }), 'field-length'),
    inv('field-length-ack-without-ref', sign(KEYS.bob, { kind: Kind.ACK, to: alice, priority: Priority.CRITICAL }), 'field-length'),
    inv('field-length-ack-ref-31', sign(KEYS.bob, { kind: Kind.ACK, to: alice, ref: directId.subarray(0, 31) }), 'field-length'),
    inv('expired-at-now', sign(KEYS.alice, { created: now - 1000, expires: now }), 'expired'),
    inv('expired-yesterday', sign(KEYS.alice, { created: now - 2 * 86_400_000, expires: now - 86_400_000 }), 'expired'),
    inv('future-skew-plus-1', sign(KEYS.alice, { created: now + MAX_CLOCK_SKEW_MS + 1 }), 'future'),
    inv('lifetime-max-plus-1', sign(KEYS.alice, { created: now - 1000, expires: now - 1000 + MAX_LIFETIME_MS + 1 }), 'lifetime'),
    inv('lifetime-expires-before-created', sign(KEYS.alice, { created: now + 300_000, expires: now + 240_000 }), 'lifetime'),
    inv('lifetime-zero', sign(KEYS.alice, { created: now + 60_000, expires: now + 60_000 }), 'lifetime'),
    inv('signature-bit-flipped', Envelope.encode({ ...goodEnv, sig: flippedSig }), 'signature'),
    inv('signature-body-tampered', Envelope.encode({ ...goodEnv, body: tamperedBody }), 'signature'),
    inv('signature-by-other-key', signRaw(KEYS.bob, good), 'signature'),
    inv('signature-without-domain-tag', Envelope.encode({ body: good, sig: noDomainSig as Uint8Array<ArrayBuffer>, hops: 0 }), 'signature'),
    inv('signature-zero', Envelope.encode({ body: good, sig: new Uint8Array(64), hops: 0 }), 'signature')
  ]

  return {
    description: 'funkpost envelope v1 golden vectors. Validate each hex with now = the "now" field. ' +
      'Made by tests/vectors/generate.ts; checked by tests/mesh/vectors.test.ts.',
    now,
    keys: Object.entries(KEYS).map(([name, seed]) => ({ name, seed: toHex(seed), publicKey: toHex(pub(seed)), id: idFromPublicKey(pub(seed)) })),
    valid: validVectors,
    invalid: invalidVectors,
    sealed: sealedVectors
  }
}

/** The committed form: two-space JSON and a final newline. */
export function serializeVectors (v: VectorFile): string {
  return JSON.stringify(v, null, 2) + '\n'
}
