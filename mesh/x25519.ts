/**
 * X25519 from Ed25519 keys, in two implementations like ed25519.ts: native
 * (node:crypto, ~28x faster here) on the hot path and @noble/curves as the
 * reference the tests compare it with.
 */
import crypto from 'node:crypto'
import { ed25519 as nobleEd, x25519 as nobleX } from '@noble/curves/ed25519.js'
import { InvalidKeyError } from './errors.js'

export interface X25519 {
  readonly name: string
  /** A fresh ephemeral key pair. */
  generate (): { secret: Uint8Array, publicKey: Uint8Array }
  /** Shared secret; throws InvalidKeyError on a low-order (all-zero) result. */
  shared (secret: Uint8Array, publicKey: Uint8Array): Uint8Array
}

/** X25519 public key of an Ed25519 public key (birational map). */
export function edPublicToX (edPublic: Uint8Array): Uint8Array {
  try {
    return nobleEd.utils.toMontgomery(edPublic)
  } catch (err) {
    throw new InvalidKeyError(`not an Ed25519 public key: ${(err as Error).message}`)
  }
}

/** X25519 secret of an Ed25519 seed (clamped SHA-512 of the seed, as RFC 8032 does). */
export function edSeedToX (seed: Uint8Array): Uint8Array {
  return nobleEd.utils.toMontgomerySecret(seed)
}

function checkShared (s: Uint8Array): Uint8Array {
  let acc = 0
  for (const b of s) acc |= b
  if (acc === 0) throw new InvalidKeyError('X25519 shared secret is zero (low-order public key)')
  return s
}

export const nobleX25519: X25519 = {
  name: 'noble',
  generate () {
    const secret = nobleX.utils.randomSecretKey()
    return { secret, publicKey: nobleX.getPublicKey(secret) }
  },
  shared (secret, publicKey) {
    try {
      return checkShared(nobleX.getSharedSecret(secret, publicKey))
    } catch (err) {
      if (err instanceof InvalidKeyError) throw err
      throw new InvalidKeyError(`X25519 failed: ${(err as Error).message}`)
    }
  }
}

const X_PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex')
const secretKeys = new WeakMap<Uint8Array, crypto.KeyObject>()

function nativeSecret (secret: Uint8Array): crypto.KeyObject {
  let key = secretKeys.get(secret)
  if (key === undefined) {
    key = crypto.createPrivateKey({ key: Buffer.concat([X_PKCS8, secret]), format: 'der', type: 'pkcs8' })
    secretKeys.set(secret, key)
  }
  return key
}

/**
 * Public keys imported as JWK (DER import is ~10x slower on Node 20), with a
 * bounded cache: sealing to a known contact skips the import.
 */
const PUBLIC_CACHE_MAX = 4096
const publicKeys = new Map<string, crypto.KeyObject>()
function nativePublic (pub: Uint8Array): crypto.KeyObject {
  const k = Buffer.from(pub.buffer, pub.byteOffset, pub.byteLength).toString('base64url')
  let key = publicKeys.get(k)
  if (key === undefined) {
    key = crypto.createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: k }, format: 'jwk' })
    if (publicKeys.size >= PUBLIC_CACHE_MAX) publicKeys.delete(publicKeys.keys().next().value as string)
    publicKeys.set(k, key)
  }
  return key
}

/**
 * Ephemeral key pairs are made ahead on libuv's thread pool (each used once),
 * so sealing does one ECDH on the main thread instead of keygen + ECDH.
 */
const POOL_TARGET = 64
const pool: Array<{ secret: Uint8Array, publicKey: Uint8Array }> = []
let refilling = 0

function fromKeyObjects (publicKey: crypto.KeyObject, privateKey: crypto.KeyObject): { secret: Uint8Array, publicKey: Uint8Array } {
  // DER, not JWK: on Node 20.20 exporting a fresh x25519 key as JWK can hang in a GC finaliser.
  const secret = new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(16))
  secretKeys.set(secret, privateKey)
  return { secret, publicKey: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(12)) }
}

function refill (): void {
  while (pool.length + refilling < POOL_TARGET) {
    refilling++
    crypto.generateKeyPair('x25519', undefined as never, (err: Error | null, publicKey: crypto.KeyObject, privateKey: crypto.KeyObject) => {
      refilling--
      if (err === null) pool.push(fromKeyObjects(publicKey, privateKey))
    })
  }
}

export const nativeX25519: X25519 = {
  name: 'native',
  generate () {
    const next = pool.pop()
    if (pool.length < POOL_TARGET / 2) refill()
    if (next !== undefined) return next
    const { publicKey, privateKey } = crypto.generateKeyPairSync('x25519')
    return fromKeyObjects(publicKey, privateKey)
  },
  shared (secret, publicKey) {
    if (publicKey.length !== 32) throw new InvalidKeyError('X25519 public key must be 32 bytes')
    let out: Buffer
    try {
      out = crypto.diffieHellman({ privateKey: nativeSecret(secret), publicKey: nativePublic(publicKey) })
    } catch (err) {
      throw new InvalidKeyError(`X25519 failed: ${(err as Error).message}`)
    }
    return checkShared(new Uint8Array(out))
  }
}

export const x25519: X25519 = nativeX25519
