/**
 * Sealed boxes for DIRECT payloads (and private channel posts, keyed by a
 * channel key instead of ECDH). Layout of a sealed payload:
 *
 *   epk (32) || ciphertext (padded plaintext + 16-byte Poly1305 tag)
 *
 * key || nonce = HKDF-SHA256(ikm = X25519(esk, recipientX), salt = epk || recipientX,
 *                            info = "funkpost/seal/v1", 56 bytes)
 * aad = header(from, to, created, expires): binds the box to its envelope, so
 * nobody can re-sign someone else's ciphertext as their own.
 * Plaintext is padded to a size bucket: u32be(length) || content || zeros.
 */
import crypto from 'node:crypto'
import { xEncrypt, xDecrypt, hkdf64 } from './aead.js'
import { PAD_BUCKETS, MAX_CONTENT_BYTES, SEAL_INFO } from './constants.js'
import { ContentTooLargeError, OpenFailedError } from './errors.js'
import { x25519 as defaultX, edPublicToX, type X25519 } from './x25519.js'

export interface SealHeader {
  from: Uint8Array
  to: Uint8Array
  created: number
  expires: number
}

export function sealAad (h: SealHeader): Uint8Array {
  const out = new Uint8Array(32 + 32 + 8 + 8)
  out.set(h.from, 0)
  out.set(h.to, 32)
  const view = new DataView(out.buffer)
  view.setBigUint64(64, BigInt(h.created))
  view.setBigUint64(72, BigInt(h.expires))
  return out
}

export function pad (content: Uint8Array): Uint8Array {
  if (content.length > MAX_CONTENT_BYTES) {
    throw new ContentTooLargeError(`content is ${content.length} bytes; at most ${MAX_CONTENT_BYTES} can be sealed`)
  }
  const size = PAD_BUCKETS.find(b => b >= content.length + 4) as number
  const out = new Uint8Array(size)
  new DataView(out.buffer).setUint32(0, content.length)
  out.set(content, 4)
  return out
}

export function unpad (padded: Uint8Array): Uint8Array {
  if (padded.length < 4) throw new OpenFailedError('padded content too short')
  const len = new DataView(padded.buffer, padded.byteOffset, padded.byteLength).getUint32(0)
  if (len > padded.length - 4) throw new OpenFailedError('padded length out of range')
  return padded.subarray(4, 4 + len)
}

function derive (shared: Uint8Array, salt: Uint8Array): { key: Uint8Array, nonce: Uint8Array } {
  const okm = hkdf64(shared, salt, SEAL_INFO, 56)
  return { key: okm.subarray(0, 32), nonce: okm.subarray(32, 56) }
}

function concat (a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}

/** X25519 public keys of recipients, cached: the Edwards-to-Montgomery map is pure JS and a contact gets many messages. */
const xPublicCache = new Map<string, Uint8Array>()
function recipientX (edPublic: Uint8Array): Uint8Array {
  const k = Buffer.from(edPublic).toString('latin1')
  let x = xPublicCache.get(k)
  if (x === undefined) {
    x = edPublicToX(edPublic)
    if (xPublicCache.size >= 4096) xPublicCache.delete(xPublicCache.keys().next().value as string)
    xPublicCache.set(k, x)
  }
  return x
}

/** Seal content to the recipient's Ed25519 public key (header.to). */
export function seal (content: Uint8Array, header: SealHeader, impl: X25519 = defaultX): Uint8Array {
  const rx = recipientX(header.to)
  const eph = impl.generate()
  const { key, nonce } = derive(impl.shared(eph.secret, rx), concat(eph.publicKey, rx))
  const ct = xEncrypt(key, nonce, sealAad(header), pad(content))
  return concat(eph.publicKey, ct)
}

/**
 * Open a sealed payload with the recipient's X25519 secret (edSeedToX of the
 * identity seed; callers keep it) and X25519 public key. Throws
 * OpenFailedError for anything that is not a box for this key and header.
 */
export function open (sealed: Uint8Array, header: SealHeader, xSecret: Uint8Array, xPublic: Uint8Array, impl: X25519 = defaultX): Uint8Array {
  if (sealed.length < 32 + 16 + PAD_BUCKETS[0]) throw new OpenFailedError('sealed payload too short')
  const epk = sealed.subarray(0, 32)
  let shared: Uint8Array
  try {
    shared = impl.shared(xSecret, epk)
  } catch (err) {
    throw new OpenFailedError(`bad ephemeral key: ${(err as Error).message}`)
  }
  const { key, nonce } = derive(shared, concat(epk, xPublic))
  let padded: Uint8Array
  try {
    padded = xDecrypt(key, nonce, sealAad(header), sealed.subarray(32))
  } catch {
    throw new OpenFailedError('cannot open: not for this key, or tampered')
  }
  return unpad(padded)
}

/** Symmetric variant for private channels: the key is the channel key, the nonce random and sent. */
export function sealWithKey (content: Uint8Array, key: Uint8Array, aad: Uint8Array): Uint8Array {
  const nonce = crypto.randomBytes(24)
  const ct = xEncrypt(key, nonce, aad, pad(content))
  return concat(nonce, ct)
}

export function openWithKey (sealed: Uint8Array, key: Uint8Array, aad: Uint8Array): Uint8Array {
  if (sealed.length < 24 + 16 + PAD_BUCKETS[0]) throw new OpenFailedError('sealed payload too short')
  try {
    return unpad(xDecrypt(key, sealed.subarray(0, 24), aad, sealed.subarray(24)))
  } catch (err) {
    if (err instanceof OpenFailedError) throw err
    throw new OpenFailedError('cannot open: wrong channel key, or tampered')
  }
}
