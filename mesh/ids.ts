/**
 * Ids and fingerprints. A user's id is the libp2p PeerId text of their
 * Ed25519 key (so it is dialable and findable in the DHT); the safety number
 * of two keys is what two people compare out of band.
 */
import crypto from 'node:crypto'
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey, peerIdFromString } from '@libp2p/peer-id'
import { InvalidKeyError } from './errors.js'
import { WORDS } from './words.js'

export function idFromPublicKey (publicKey: Uint8Array): string {
  if (publicKey.length !== 32) throw new InvalidKeyError('an Ed25519 public key is 32 bytes')
  return peerIdFromPublicKey(publicKeyFromRaw(publicKey)).toString()
}

/** Raw Ed25519 public key of an id string; InvalidKeyError names what is wrong. */
export function publicKeyFromId (id: string): Uint8Array {
  let peer
  try {
    peer = peerIdFromString(id)
  } catch {
    throw new InvalidKeyError(`"${id}" is not a funkpost id (expected a PeerId like 12D3KooW…)`)
  }
  if (peer.type !== 'Ed25519' || peer.publicKey == null) {
    throw new InvalidKeyError(`"${id}" is a ${peer.type} PeerId; funkpost ids are Ed25519 (12D3KooW…)`)
  }
  return peer.publicKey.raw
}

export function isId (s: string): boolean {
  try {
    publicKeyFromId(s)
    return true
  } catch {
    return false
  }
}

export interface SafetyNumber {
  /** 12 groups of 5 digits. */
  digits: string
  /** 6 words from a 256-word list (easier to read aloud). */
  words: string
}

function render (hash: Uint8Array): SafetyNumber {
  const groups: string[] = []
  for (let i = 0; i < 12; i++) {
    const n = ((hash[i * 2] << 16) | (hash[i * 2 + 1] << 8) | hash[24 + (i % 8)]) % 100000
    groups.push(n.toString().padStart(5, '0'))
  }
  const words = Array.from(hash.subarray(0, 6), b => WORDS[b]).join(' ')
  return { digits: groups.join(' '), words }
}

/** Fingerprint of one key (shown by `funkpost id`). */
export function fingerprint (publicKey: Uint8Array): SafetyNumber {
  return render(new Uint8Array(crypto.createHash('sha256').update('funkpost/fingerprint/v1').update(publicKey).digest()))
}

/** Safety number of a pair of keys: the same on both sides, whatever the order. */
export function safetyNumber (a: Uint8Array, b: Uint8Array): SafetyNumber {
  const [lo, hi] = Buffer.compare(Buffer.from(a), Buffer.from(b)) <= 0 ? [a, b] : [b, a]
  return render(new Uint8Array(crypto.createHash('sha256').update('funkpost/safety/v1').update(lo).update(hi).digest()))
}
