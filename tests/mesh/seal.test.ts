/**
 * Sealed boxes: round trip, only the recipient opens, every flipped bit and
 * every changed header field is refused, sizes fall in the pad buckets,
 * oversize content is refused; the channel-key variant; content codec.
 */
import t from 'tap'
import crypto from 'node:crypto'
import { seal, open, sealWithKey, openWithKey, sealAad, pad, unpad, type SealHeader } from '../../mesh/seal.js'
import { encodeContent, decodeContent, ContentType } from '../../mesh/content.js'
import { nativeX25519, nobleX25519 } from '../../mesh/x25519.js'
import { identityFromSeed } from '../../node/identity.js'
import { PAD_BUCKETS, MAX_CONTENT_BYTES } from '../../mesh/constants.js'
import { ContentTooLargeError, OpenFailedError } from '../../mesh/errors.js'

const alice = identityFromSeed(new Uint8Array(32).fill(1))
const bob = identityFromSeed(new Uint8Array(32).fill(2))
const carol = identityFromSeed(new Uint8Array(32).fill(3))
const now = 1_700_000_000_000
const header: SealHeader = { from: alice.publicKey, to: bob.publicKey, created: now, expires: now + 3_600_000 }
const text = (s: string): Uint8Array => new TextEncoder().encode(s)
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

t.test('round trip, with both X25519 implementations on either side', async t => {
  const msg = text('hello bob')
  for (const sealer of [nativeX25519, nobleX25519]) {
    for (const opener of [nativeX25519, nobleX25519]) {
      const box = seal(msg, header, sealer)
      t.equal(toHex(open(box, header, bob.xSecret, bob.xPublic, opener)), toHex(msg), `${sealer.name} -> ${opener.name}`)
    }
  }
  const a = seal(msg, header)
  const b = seal(msg, header)
  t.not(toHex(a), toHex(b), 'a fresh ephemeral key per box')
  t.equal(toHex(open(seal(new Uint8Array(0), header), header, bob.xSecret, bob.xPublic)), '', 'empty content')
})

t.test('a third key cannot open; nor can the sender', async t => {
  const box = seal(text('for bob only'), header)
  t.throws(() => open(box, header, carol.xSecret, carol.xPublic), OpenFailedError, 'carol')
  t.throws(() => open(box, header, alice.xSecret, alice.xPublic), OpenFailedError, 'alice')
  t.throws(() => open(box, header, carol.xSecret, bob.xPublic), OpenFailedError, 'wrong secret, right public')
})

t.test('every flipped bit of the box is refused', async t => {
  const box = seal(text('tamper with me'), header)
  t.equal(box.length, 32 + 256 + 16)
  let accepted = 0
  const other: string[] = []
  for (let bit = 0; bit < box.length * 8; bit++) {
    const bad = Uint8Array.from(box)
    bad[bit >> 3] ^= 1 << (bit & 7)
    try {
      open(bad, header, bob.xSecret, bob.xPublic)
      accepted++
    } catch (err) {
      if (!(err instanceof OpenFailedError)) other.push(`${bit}: ${(err as Error).name}`)
    }
  }
  t.equal(accepted, 0, `all ${box.length * 8} bit flips (epk, body, tag) refused`)
  t.same(other, [], 'and always with OpenFailedError')
  t.throws(() => open(box.subarray(0, box.length - 1), header, bob.xSecret, bob.xPublic), OpenFailedError, 'truncated')
  t.throws(() => open(new Uint8Array([...box, 0]), header, bob.xSecret, bob.xPublic), OpenFailedError, 'extended')
  t.throws(() => open(new Uint8Array(10), header, bob.xSecret, bob.xPublic), OpenFailedError, 'too short')
  const zeroEpk = Uint8Array.from(box)
  zeroEpk.fill(0, 0, 32)
  t.throws(() => open(zeroEpk, header, bob.xSecret, bob.xPublic), OpenFailedError, 'low-order ephemeral key')
})

t.test('any changed header field is refused', async t => {
  const box = seal(text('bound to its envelope'), header)
  const changed: Array<[string, SealHeader]> = [
    ['from', { ...header, from: carol.publicKey }],
    ['to', { ...header, to: carol.publicKey }],
    ['created', { ...header, created: header.created + 1 }],
    ['expires', { ...header, expires: header.expires - 1 }]
  ]
  for (const [name, h] of changed) {
    t.throws(() => open(box, h, bob.xSecret, bob.xPublic), OpenFailedError, name)
  }
  t.equal(toHex(open(box, { ...header }, bob.xSecret, bob.xPublic)), toHex(text('bound to its envelope')))
  t.equal(sealAad(header).length, 80)
})

t.test('padded sizes fall in the buckets', async t => {
  const sizes = [0, 1, 200]
  for (const b of PAD_BUCKETS) sizes.push(b - 5, b - 4, b - 3)
  const seen = new Set<number>()
  for (const n of sizes.filter(n => n >= 0 && n <= MAX_CONTENT_BYTES)) {
    const content = new Uint8Array(crypto.randomBytes(n))
    const box = seal(content, header)
    const padded = box.length - 32 - 16
    t.ok((PAD_BUCKETS as readonly number[]).includes(padded), `${n} bytes -> ${padded}`)
    t.equal(padded, PAD_BUCKETS.find(b => b >= n + 4), `${n} bytes: smallest bucket that fits`)
    seen.add(padded)
    t.equal(toHex(open(box, header, bob.xSecret, bob.xPublic)), toHex(content))
  }
  t.equal(seen.size, PAD_BUCKETS.length, 'every bucket used')
  t.equal(unpad(pad(text('abc'))).length, 3)
  const lying = pad(text('abc'))
  new DataView(lying.buffer).setUint32(0, lying.length)
  t.throws(() => unpad(lying), OpenFailedError, 'length prefix beyond the buffer')
})

t.test('content over MAX_CONTENT_BYTES is refused', async t => {
  const max = new Uint8Array(MAX_CONTENT_BYTES)
  t.equal(open(seal(max, header), header, bob.xSecret, bob.xPublic).length, MAX_CONTENT_BYTES, 'the maximum fits')
  const over = new Uint8Array(MAX_CONTENT_BYTES + 1)
  t.throws(() => seal(over, header), ContentTooLargeError)
  t.throws(() => sealWithKey(over, new Uint8Array(32), new Uint8Array(0)), ContentTooLargeError)
  t.throws(() => pad(over), { name: 'ContentTooLargeError' })
})

t.test('sealWithKey / openWithKey', async t => {
  const key = new Uint8Array(crypto.randomBytes(32))
  const aad = text('channel header')
  const msg = text('hello channel')
  const box = sealWithKey(msg, key, aad)
  t.equal(box.length, 24 + 256 + 16)
  t.equal(toHex(openWithKey(box, key, aad)), toHex(msg))
  t.not(toHex(sealWithKey(msg, key, aad)), toHex(box), 'random nonce')
  t.throws(() => openWithKey(box, new Uint8Array(crypto.randomBytes(32)), aad), OpenFailedError, 'wrong key')
  t.throws(() => openWithKey(box, key, text('other header')), OpenFailedError, 'wrong aad')
  let accepted = 0
  for (let bit = 0; bit < box.length * 8; bit += 7) {
    const bad = Uint8Array.from(box)
    bad[bit >> 3] ^= 1 << (bit & 7)
    try { openWithKey(bad, key, aad); accepted++ } catch (err) { if (!(err instanceof OpenFailedError)) accepted++ }
  }
  t.equal(accepted, 0, 'sampled bit flips (nonce, body, tag) refused')
  t.throws(() => openWithKey(box.subarray(0, 100), key, aad), OpenFailedError, 'too short')
})

t.test('content: every ContentType round-trips', async t => {
  const types = Object.values(ContentType).filter((v): v is ContentType => typeof v === 'string')
  for (const name of ['TEXT', 'REPLY', 'REACTION', 'EDIT', 'DELETE', 'TYPING', 'READ', 'FILE_CHUNK']) t.ok(types.includes(name as ContentType), name)
  const ref = new Uint8Array(32).fill(7)
  for (const type of types) {
    const init = {
      type, text: `text of ${type} ✓`, ref, emoji: '👍', ttl: 86_400_000,
      file: new Uint8Array([1, 2, 3]), chunk: 2, chunks: 5, data: new Uint8Array([9, 9])
    }
    const bytes = encodeContent(init)
    const c = decodeContent(bytes)
    t.same({ ...c, nonce: undefined }, { ...init, nonce: undefined }, type)
    t.equal(c.nonce.length, 8, `${type}: 8-byte nonce`)
    // and through a sealed box
    t.same(decodeContent(open(seal(bytes, header), header, bob.xSecret, bob.xPublic)).type, type)
  }
  t.equal(decodeContent(encodeContent({})).type, ContentType.TEXT, 'TEXT by default')
  t.not(toHex(encodeContent({ text: 'same' })), toHex(encodeContent({ text: 'same' })), 'equal texts give unequal plaintexts')
  t.throws(() => decodeContent(new Uint8Array([0x12, 0x50, 0x41])), OpenFailedError, 'garbage content')
})
