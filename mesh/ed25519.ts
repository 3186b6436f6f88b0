/**
 * Ed25519 behind one small interface, in two implementations: @noble/ed25519
 * (the reference, pure JS) and node:crypto (native, about 12x faster to
 * verify here). Both are checked against RFC 8032 in tests and give
 * byte-identical signatures from the same 32-byte seed.
 */
import crypto from 'node:crypto'
import * as noble from '@noble/ed25519'
import { sha512 } from '@noble/hashes/sha2.js'

noble.hashes.sha512 = sha512

export interface Ed25519 {
  readonly name: string
  /** Public key (32 bytes) of a 32-byte seed. */
  publicKey (seed: Uint8Array): Uint8Array
  sign (seed: Uint8Array, message: Uint8Array): Uint8Array
  /** Never throws: malformed keys or signatures are simply not valid. */
  verify (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean
}

export const nobleEd25519: Ed25519 = {
  name: 'noble',
  publicKey: (seed) => noble.getPublicKey(seed),
  sign: (seed, message) => noble.sign(message, seed),
  verify (signature, message, publicKey) {
    try {
      return noble.verify(signature, message, publicKey, { zip215: false })
    } catch {
      return false
    }
  }
}

const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

/** Bounded cache of parsed public keys: verifying many envelopes from few authors is the common case. */
const PUBLIC_KEY_CACHE_SIZE = 4096
const publicKeys = new Map<string, crypto.KeyObject>()
const privateKeys = new WeakMap<Uint8Array, crypto.KeyObject>()

function nativePublic (raw: Uint8Array): crypto.KeyObject {
  const k = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1')
  let key = publicKeys.get(k)
  if (key === undefined) {
    // JWK import: ~10x faster than DER SPKI on Node 20 (matters for floods of new authors).
    key = crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64url') }, format: 'jwk' })
    if (publicKeys.size >= PUBLIC_KEY_CACHE_SIZE) publicKeys.delete(publicKeys.keys().next().value as string)
    publicKeys.set(k, key)
  }
  return key
}

function nativePrivate (seed: Uint8Array): crypto.KeyObject {
  let key = privateKeys.get(seed)
  if (key === undefined) {
    key = crypto.createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' })
    privateKeys.set(seed, key)
  }
  return key
}

export const nativeEd25519: Ed25519 = {
  name: 'native',
  publicKey (seed) {
    const spki = crypto.createPublicKey(nativePrivate(seed)).export({ format: 'der', type: 'spki' })
    return new Uint8Array(spki.subarray(SPKI_PREFIX.length))
  },
  sign: (seed, message) => new Uint8Array(crypto.sign(null, message, nativePrivate(seed))),
  verify (signature, message, publicKey) {
    if (signature.length !== 64 || publicKey.length !== 32) return false
    try {
      return crypto.verify(null, message, nativePublic(publicKey), signature)
    } catch {
      return false
    }
  }
}

/** The implementation used on the hot path (measured faster: bench/envelope.ts). */
export const ed25519: Ed25519 = nativeEd25519
