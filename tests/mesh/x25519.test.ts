/**
 * X25519: native and noble agree (RFC 7748 vectors, keys converted from
 * Ed25519, fresh ephemeral keys), and low-order public keys are refused
 * with InvalidKeyError by both.
 */
import t from 'tap'
import crypto from 'node:crypto'
import { nativeX25519, nobleX25519, x25519, edPublicToX, edSeedToX } from '../../mesh/x25519.js'
import { nobleEd25519 } from '../../mesh/ed25519.js'
import { InvalidKeyError } from '../../mesh/errors.js'

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const impls = [nativeX25519, nobleX25519]

t.test('the hot path uses the native implementation', async t => {
  t.equal(x25519.name, 'native')
})

t.test('RFC 7748 vectors', async t => {
  // section 5.2, first vector: scalar, u-coordinate, output
  const scalar = hex('a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4')
  const u = hex('e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c')
  // section 6.1: Alice and Bob
  const a = hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a')
  const aPub = '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a'
  const b = hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb')
  const bPub = 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f'
  const k = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742'
  const base = hex('09'.padEnd(64, '0'))
  for (const impl of impls) {
    t.equal(toHex(impl.shared(scalar, u)), 'c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552', `${impl.name}: 5.2`)
    t.equal(toHex(impl.shared(a, base)), aPub, `${impl.name}: Alice's public key`)
    t.equal(toHex(impl.shared(b, base)), bPub, `${impl.name}: Bob's public key`)
    t.equal(toHex(impl.shared(a, hex(bPub))), k, `${impl.name}: K from Alice's side`)
    t.equal(toHex(impl.shared(b, hex(aPub))), k, `${impl.name}: K from Bob's side`)
  }
})

t.test('keys converted from Ed25519: both sides and both implementations agree', async t => {
  for (let i = 0; i < 20; i++) {
    const seedA = new Uint8Array(crypto.randomBytes(32))
    const seedB = new Uint8Array(crypto.randomBytes(32))
    const xa = edSeedToX(seedA)
    const xb = edSeedToX(seedB)
    const pa = edPublicToX(nobleEd25519.publicKey(seedA))
    const pb = edPublicToX(nobleEd25519.publicKey(seedB))
    const base = hex('09'.padEnd(64, '0'))
    // the converted public key is the X25519 public key of the converted secret
    t.equal(toHex(nativeX25519.shared(xa, base)), toHex(pa), 'edPublicToX(pub(seed)) == X25519(edSeedToX(seed))')
    const results = new Set([
      nativeX25519.shared(xa, pb), nativeX25519.shared(xb, pa), nobleX25519.shared(xa, pb), nobleX25519.shared(xb, pa)
    ].map(toHex))
    t.equal(results.size, 1, `pair ${i}: one shared secret`)
  }
})

t.test('generated ephemeral keys work across implementations', async t => {
  for (const gen of impls) {
    for (const other of impls) {
      const e = gen.generate()
      t.equal(e.secret.length, 32)
      t.equal(e.publicKey.length, 32)
      const r = other.generate()
      t.equal(toHex(gen.shared(e.secret, r.publicKey)), toHex(other.shared(r.secret, e.publicKey)), `${gen.name} x ${other.name}`)
    }
  }
  t.not(toHex(nativeX25519.generate().secret), toHex(nativeX25519.generate().secret), 'fresh keys differ')
})

t.test('low-order and malformed public keys throw InvalidKeyError', async t => {
  const lowOrder = [
    '0000000000000000000000000000000000000000000000000000000000000000',
    '0100000000000000000000000000000000000000000000000000000000000000',
    'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
    '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
    'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'
  ]
  const secret = nativeX25519.generate().secret
  for (const impl of impls) {
    for (const p of lowOrder) {
      t.throws(() => impl.shared(secret, hex(p)), InvalidKeyError, `${impl.name}: ${p.slice(0, 8)}…`)
    }
    for (const n of [0, 31, 33]) {
      t.throws(() => impl.shared(secret, new Uint8Array(n)), InvalidKeyError, `${impl.name}: ${n}-byte public key`)
    }
  }
  const err = (() => { try { nativeX25519.shared(secret, new Uint8Array(32)) } catch (e) { return e as Error } })()
  t.equal(err?.name, 'InvalidKeyError')
  t.throws(() => edPublicToX(hex('0200000000000000000000000000000000000000000000000000000000000000')), InvalidKeyError, 'not an Ed25519 point')
})
