import t from 'tap'
import crypto from 'node:crypto'
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { xEncrypt, xDecrypt, hkdf64 } from '../../mesh/aead.js'

t.test('native XChaCha20-Poly1305 is byte-identical to noble, both ways', async t => {
  for (let i = 0; i < 200; i++) {
    const key = crypto.randomBytes(32)
    const nonce = crypto.randomBytes(24)
    const aad = crypto.randomBytes(i % 81)
    const pt = crypto.randomBytes((i * 37) % 2000)
    const ours = xEncrypt(key, nonce, aad, pt)
    const ref = xchacha20poly1305(key, nonce, aad).encrypt(pt)
    if (Buffer.compare(Buffer.from(ours), Buffer.from(ref)) !== 0) { t.fail(`mismatch at ${i}`); return }
    t.same(Buffer.from(xDecrypt(key, nonce, aad, ref)), pt)
  }
  t.pass('200 random cases agree')
})

t.test('draft-irtf-cfrg-xchacha-03 A.3.1 test vector', async t => {
  const pt = Buffer.from('4c616469657320616e642047656e746c656d656e206f662074686520636c617373206f66202739393a204966204920636f756c64206f6666657220796f75206f6e6c79206f6e652074697020666f7220746865206675747572652c2073756e73637265656e20776f756c642062652069742e', 'hex')
  const aad = Buffer.from('50515253c0c1c2c3c4c5c6c7', 'hex')
  const key = Buffer.from('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f', 'hex')
  const iv = Buffer.from('404142434445464748494a4b4c4d4e4f5051525354555657', 'hex')
  const ct = 'bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e'
  const tag = 'c0875924c1c7987947deafd8780acf49'
  t.equal(Buffer.from(xEncrypt(key, iv, aad, pt)).toString('hex'), ct + tag)
})

t.test('a flipped bit or wrong aad fails with OpenFailedError', async t => {
  const key = crypto.randomBytes(32)
  const nonce = crypto.randomBytes(24)
  const ct = xEncrypt(key, nonce, Buffer.from('aad'), Buffer.from('hello'))
  for (let bit = 0; bit < ct.length * 8; bit += 7) {
    const bad = Uint8Array.from(ct)
    bad[bit >> 3] ^= 1 << (bit & 7)
    t.throws(() => xDecrypt(key, nonce, Buffer.from('aad'), bad), { name: 'OpenFailedError' })
  }
  t.throws(() => xDecrypt(key, nonce, Buffer.from('aaD'), ct), { name: 'OpenFailedError' })
  t.throws(() => xDecrypt(key, nonce, Buffer.from('aad'), ct.subarray(0, 10)), { name: 'OpenFailedError' })
})

t.test('hkdf64 equals crypto.hkdfSync', async t => {
  for (const len of [1, 32, 33, 56, 64]) {
    const ikm = crypto.randomBytes(32)
    const salt = crypto.randomBytes(64)
    const info = Buffer.from('funkpost/seal/v1')
    t.same(Buffer.from(hkdf64(ikm, salt, info, len)), Buffer.from(crypto.hkdfSync('sha256', ikm, salt, info, len)), `${len} bytes`)
  }
  t.throws(() => hkdf64(new Uint8Array(32), new Uint8Array(0), new Uint8Array(0), 65), RangeError)
})
