/**
 * XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha) and HKDF-SHA256, fast: the
 * HChaCha20 subkey from @noble/ciphers, the AEAD itself native
 * (node:crypto chacha20-poly1305 with nonce = 4 zero bytes || nonce[16..24]),
 * HKDF from two native HMACs. Byte-identical to noble's xchacha20poly1305 and
 * to crypto.hkdfSync (tests/mesh/aead.test.ts checks both).
 */
import crypto from 'node:crypto'
import { hchacha } from '@noble/ciphers/chacha.js'
import { OpenFailedError } from './errors.js'

const SIGMA = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574])

function words (bytes: Uint8Array, n: number): Uint32Array {
  const out = new Uint32Array(n)
  const v = new DataView(bytes.buffer, bytes.byteOffset, n * 4)
  for (let i = 0; i < n; i++) out[i] = v.getUint32(i * 4, true)
  return out
}

function subkey (key: Uint8Array, nonce: Uint8Array): { key: Buffer, iv: Buffer } {
  const out = new Uint32Array(8)
  hchacha(SIGMA, words(key, 8), words(nonce, 4), out)
  const k = Buffer.alloc(32)
  for (let i = 0; i < 8; i++) k.writeUInt32LE(out[i], i * 4)
  const iv = Buffer.alloc(12)
  iv.set(nonce.subarray(16, 24), 4)
  return { key: k, iv }
}

/** XChaCha20-Poly1305 encrypt: ciphertext || 16-byte tag. */
export function xEncrypt (key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const s = subkey(key, nonce)
  const c = crypto.createCipheriv('chacha20-poly1305', s.key, s.iv, { authTagLength: 16 })
  c.setAAD(aad, { plaintextLength: plaintext.length })
  const ct = c.update(plaintext)
  c.final()
  return new Uint8Array(Buffer.concat([ct, c.getAuthTag()]))
}

/** XChaCha20-Poly1305 decrypt; OpenFailedError when the tag does not verify. */
export function xDecrypt (key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array {
  if (sealed.length < 16) throw new OpenFailedError('ciphertext shorter than its tag')
  const s = subkey(key, nonce)
  const d = crypto.createDecipheriv('chacha20-poly1305', s.key, s.iv, { authTagLength: 16 })
  d.setAAD(aad, { plaintextLength: sealed.length - 16 })
  d.setAuthTag(sealed.subarray(sealed.length - 16))
  const pt = d.update(sealed.subarray(0, sealed.length - 16))
  try {
    d.final()
  } catch {
    throw new OpenFailedError('cannot open: wrong key, or tampered')
  }
  return new Uint8Array(pt)
}

/** HKDF-SHA256 (RFC 5869) for up to 64 bytes of output. */
export function hkdf64 (ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  if (length > 64) throw new RangeError('hkdf64 makes at most 64 bytes')
  const prk = crypto.createHmac('sha256', salt).update(ikm).digest()
  const t1 = crypto.createHmac('sha256', prk).update(info).update(Uint8Array.of(1)).digest()
  if (length <= 32) return new Uint8Array(t1.subarray(0, length))
  const t2 = crypto.createHmac('sha256', prk).update(t1).update(info).update(Uint8Array.of(2)).digest()
  return new Uint8Array(Buffer.concat([t1, t2]).subarray(0, length))
}
