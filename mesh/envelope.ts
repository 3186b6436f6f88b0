/**
 * The envelope: encode, decode, id, sign and validate. Validation of bytes
 * from the network returns a result and never throws (STYLE 7): the result
 * drives gossip scoring, metrics and logs.
 */
import crypto from 'node:crypto'
import { Envelope, Body, Kind, Priority } from './pb/envelope.js'
import {
  ENVELOPE_VERSION, MAX_ENVELOPE_BYTES, MAX_CLOCK_SKEW_MS, MAX_LIFETIME_MS,
  KEY_BYTES, ID_BYTES, SIG_BYTES, SIGN_DOMAIN
} from './constants.js'
import { ed25519, type Ed25519 } from './ed25519.js'

export { Envelope, Body, Kind, Priority }

/** Why an envelope was refused. Stable strings: logs, metrics and tests use them. */
export type InvalidReason =
  | 'oversize' | 'malformed' | 'version' | 'kind' | 'field-length'
  | 'expired' | 'future' | 'lifetime' | 'signature'

export interface ValidEnvelope {
  code: 'valid'
  id: Uint8Array
  envelope: Envelope
  body: Body
}

export interface InvalidEnvelope {
  code: 'invalid'
  reason: InvalidReason
}

export type ValidationResult = ValidEnvelope | InvalidEnvelope

export interface ValidationPolicy {
  /** @default MAX_ENVELOPE_BYTES */
  maxBytes?: number
  /** @default MAX_CLOCK_SKEW_MS */
  maxSkewMs?: number
  /** @default MAX_LIFETIME_MS */
  maxLifetimeMs?: number
  /** Current time in ms; injectable for tests. @default Date.now() */
  now?: number
  /** @default ed25519 (native) */
  signer?: Ed25519
}

export function envelopeId (bodyBytes: Uint8Array): Uint8Array {
  return new Uint8Array(crypto.createHash('sha256').update(bodyBytes).digest())
}

function signedBytes (bodyBytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(SIGN_DOMAIN.length + bodyBytes.length)
  out.set(SIGN_DOMAIN, 0)
  out.set(bodyBytes, SIGN_DOMAIN.length)
  return out
}

export interface BodyInit {
  kind: Kind
  from: Uint8Array
  to: Uint8Array
  created: number
  expires: number
  priority?: Priority
  ref?: Uint8Array
  payload?: Uint8Array
  v?: number
}

export interface SignedEnvelope {
  id: Uint8Array
  envelope: Envelope
  body: Body
  /** The encoded Envelope, ready for the wire. */
  bytes: Uint8Array
}

/** Build, encode and sign an envelope with the author's 32-byte seed. */
export function signEnvelope (seed: Uint8Array, init: BodyInit, signer: Ed25519 = ed25519): SignedEnvelope {
  const body: Body = {
    v: init.v ?? ENVELOPE_VERSION,
    kind: init.kind,
    from: init.from as Uint8Array<ArrayBuffer>,
    to: init.to as Uint8Array<ArrayBuffer>,
    created: init.created,
    expires: init.expires,
    priority: init.priority ?? Priority.NORMAL,
    ref: (init.ref ?? new Uint8Array(0)) as Uint8Array<ArrayBuffer>,
    payload: (init.payload ?? new Uint8Array(0)) as Uint8Array<ArrayBuffer>
  }
  const bodyBytes = Body.encode(body)
  const sig = signer.sign(seed, signedBytes(bodyBytes))
  const envelope: Envelope = { body: bodyBytes, sig: sig as Uint8Array<ArrayBuffer>, hops: 0 }
  return { id: envelopeId(bodyBytes), envelope, body, bytes: Envelope.encode(envelope) }
}

export function encodeEnvelope (envelope: Envelope): Uint8Array {
  return Envelope.encode(envelope)
}

/** The same envelope with its (unsigned) hop count changed, re-encoded. */
export function withHops (envelope: Envelope, hops: number): Uint8Array {
  return Envelope.encode({ ...envelope, hops })
}

/**
 * Decode and check untrusted bytes. Order: size first (before any parsing),
 * then structure, then cheap field checks, then time, and the signature last.
 */
export function validateEnvelope (bytes: Uint8Array, policy: ValidationPolicy = {}): ValidationResult {
  if (bytes.length > (policy.maxBytes ?? MAX_ENVELOPE_BYTES)) return { code: 'invalid', reason: 'oversize' }
  let envelope: Envelope
  let body: Body
  try {
    envelope = Envelope.decode(bytes)
    body = Body.decode(envelope.body)
  } catch {
    return { code: 'invalid', reason: 'malformed' }
  }
  return validateDecoded(envelope, body, policy)
}

/** The checks after decoding; shared by the wire path and the store's re-check on load. */
export function validateDecoded (envelope: Envelope, body: Body, policy: ValidationPolicy = {}): ValidationResult {
  if (body.v !== ENVELOPE_VERSION) return { code: 'invalid', reason: 'version' }
  if (body.kind === Kind.KIND_UNSPECIFIED) return { code: 'invalid', reason: 'kind' }
  if (body.from.length !== KEY_BYTES || body.to.length !== KEY_BYTES || envelope.sig.length !== SIG_BYTES ||
      (body.ref.length !== 0 && body.ref.length !== ID_BYTES) ||
      (body.kind === Kind.ACK && body.ref.length !== ID_BYTES)) {
    return { code: 'invalid', reason: 'field-length' }
  }
  const now = policy.now ?? Date.now()
  if (body.expires <= now) return { code: 'invalid', reason: 'expired' }
  if (body.created > now + (policy.maxSkewMs ?? MAX_CLOCK_SKEW_MS)) return { code: 'invalid', reason: 'future' }
  if (body.expires <= body.created || body.expires - body.created > (policy.maxLifetimeMs ?? MAX_LIFETIME_MS)) {
    return { code: 'invalid', reason: 'lifetime' }
  }
  const signer = policy.signer ?? ed25519
  if (!signer.verify(envelope.sig, signedBytes(envelope.body), body.from)) return { code: 'invalid', reason: 'signature' }
  return { code: 'valid', id: envelopeId(envelope.body), envelope, body }
}

export const PRIORITY_RANK: Record<Priority, number> = {
  [Priority.CRITICAL]: 0,
  [Priority.NORMAL]: 1,
  [Priority.LOW]: 2
}

export function toHex (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

export function fromHex (hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'))
}
