/**
 * Ids are libp2p PeerIds of the Ed25519 key; fingerprints and safety numbers
 * have a stable format and value.
 */
import t from 'tap'
import crypto from 'node:crypto'
import { generateKeyPairFromSeed, generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { idFromPublicKey, publicKeyFromId, isId, fingerprint, safetyNumber } from '../../mesh/ids.js'
import { WORDS } from '../../mesh/words.js'
import { InvalidKeyError } from '../../mesh/errors.js'
import { nativeEd25519 } from '../../mesh/ed25519.js'
import { identityFromSeed, libp2pKey } from '../../node/identity.js'

const seedOf = (b: number): Uint8Array => new Uint8Array(32).fill(b)
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

t.test('idFromPublicKey / publicKeyFromId round trip', async t => {
  for (let i = 0; i < 20; i++) {
    const pub = nativeEd25519.publicKey(new Uint8Array(crypto.randomBytes(32)))
    const id = idFromPublicKey(pub)
    t.match(id, /^12D3KooW[1-9A-HJ-NP-Za-km-z]{44}$/)
    t.equal(toHex(publicKeyFromId(id)), toHex(pub))
    t.ok(isId(id))
  }
})

t.test('the id is the PeerId libp2p derives from the same seed', async t => {
  for (const seed of [seedOf(1), seedOf(2), new Uint8Array(crypto.randomBytes(32))]) {
    const key = await generateKeyPairFromSeed('Ed25519', seed)
    const identity = identityFromSeed(seed)
    t.equal(identity.id, peerIdFromPrivateKey(key).toString())
    t.equal(toHex(key.publicKey.raw), toHex(identity.publicKey))
    const viaNode = await libp2pKey(identity)
    t.equal(peerIdFromPrivateKey(viaNode).toString(), identity.id, 'node/identity.ts libp2pKey')
  }
  t.equal(identityFromSeed(seedOf(1)).id, '12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5', 'pinned: seed 0x01')
})

t.test('malformed ids and keys throw InvalidKeyError', async t => {
  const good = identityFromSeed(seedOf(1)).id
  const bad = [
    '', 'hello', good.slice(0, -1), good + 'x', good.replace('K', 'l'),
    'QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N', // RSA-style sha256 PeerId: no inline key
    '12D3KooW' + '0'.repeat(44)
  ]
  for (const id of bad) {
    t.throws(() => publicKeyFromId(id), InvalidKeyError, JSON.stringify(id))
    t.notOk(isId(id))
  }
  const secp = peerIdFromPrivateKey(await generateKeyPair('secp256k1')).toString()
  t.throws(() => publicKeyFromId(secp), { name: 'InvalidKeyError', message: /secp256k1/ }, 'a secp256k1 PeerId is not a funkpost id')
  for (const n of [0, 31, 33]) t.throws(() => idFromPublicKey(new Uint8Array(n)), InvalidKeyError, `${n}-byte key`)
})

t.test('safety numbers: symmetric, and different for other keys', async t => {
  const [a, b, c] = [1, 2, 3].map(s => identityFromSeed(seedOf(s)).publicKey)
  t.same(safetyNumber(a, b), safetyNumber(b, a))
  t.notSame(safetyNumber(a, b), safetyNumber(a, c))
  t.notSame(safetyNumber(a, b), safetyNumber(c, b))
  t.not(safetyNumber(a, b).digits, fingerprint(a).digits)
  t.same(safetyNumber(a, b), {
    digits: '25496 23503 95187 36222 84010 80891 24331 09317 47416 46671 96499 28926',
    words: 'cocoa cinema jacket dragon honey domino'
  }, 'pinned value')
})

t.test('fingerprint: stable format and value', async t => {
  const digits = /^\d{5}( \d{5}){11}$/
  for (let i = 0; i < 50; i++) {
    const fp = fingerprint(nativeEd25519.publicKey(new Uint8Array(crypto.randomBytes(32))))
    t.match(fp.digits, digits)
    const words = fp.words.split(' ')
    t.equal(words.length, 6)
    t.ok(words.every(w => WORDS.includes(w)))
  }
  const a = identityFromSeed(seedOf(1)).publicKey
  t.same(fingerprint(a), fingerprint(Uint8Array.from(a)), 'depends on the key only')
  t.same(fingerprint(a), {
    digits: '14703 90011 99152 42362 65146 23441 77752 74287 46287 64859 14608 64474',
    words: 'lobster aspen pebble bucket jelly badge'
  }, 'pinned value: changing it changes what users compare')
  t.equal(WORDS.length, 256)
  t.equal(new Set(WORDS).size, 256, 'distinct words')
  t.ok(WORDS.every(w => /^[a-z]+$/.test(w)))
})
