/**
 * Tor v3 onion addresses: parse, validate and build them, as bare names,
 * `<name>.onion` hostnames, tor's `hostname` file and `/onion3/<name>:<port>`
 * multiaddrs.
 *
 * A v3 name is 56 base32 characters (RFC 4648 alphabet, case-insensitive)
 * that decode to 35 bytes: pubkey(32) || checksum(2) || version(1), where
 * version is 3 and checksum = SHA3-256(".onion checksum" || pubkey ||
 * version)[:2] (tor rend-spec-v3, "Encoding onion addresses").
 *
 * @multiformats/multiaddr 13 accepts any text after `/onion3/` when parsing a
 * string and only checks it when encoding to bytes (and never the checksum),
 * so everything here validates for itself.
 */
import { sha3_256 } from '@noble/hashes/sha3.js'
import { multiaddr } from '@multiformats/multiaddr'
import type { Multiaddr } from '@multiformats/multiaddr'

/** Length of a v3 onion name in base32 characters (35 bytes). */
export const ONION3_NAME_LENGTH = 56
/** The only onion service version we accept. */
export const ONION3_VERSION = 3
/** The multiaddr protocol name (code 445). */
export const ONION3_PROTOCOL = 'onion3'

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567'
const CHECKSUM_PREFIX = new TextEncoder().encode('.onion checksum')

export type InvalidOnionReason =
  | 'length' // not 56 characters
  | 'base32' // a character outside a-z2-7 (either case)
  | 'version' // version byte is not 3
  | 'checksum' // checksum does not match the public key
  | 'missing-port' // `/onion3/<name>` without `:<port>`
  | 'port' // port is not a decimal number in 1..65535
  | 'not-onion3' // the multiaddr does not start with /onion3
  | 'trailing' // the multiaddr has more than /onion3 (+ /p2p)
  | 'empty' // empty hostname file or input

export class InvalidOnionAddressError extends Error {
  static override readonly name = 'InvalidOnionAddressError'
  override readonly name = 'InvalidOnionAddressError'
  readonly reason: InvalidOnionReason

  constructor (reason: InvalidOnionReason, message: string) {
    super(`invalid onion address (${reason}): ${message}`)
    this.reason = reason
  }
}

/** Where an onion address points: `host` is `<56 lowercase chars>.onion`. */
export interface OnionTarget {
  host: string
  port: number
}

/** The parts of a decoded v3 onion name. */
export interface DecodedOnion3 {
  publicKey: Uint8Array
  checksum: Uint8Array
  version: number
}

function base32Decode (text: string): Uint8Array | undefined {
  const out = new Uint8Array(Math.floor(text.length * 5 / 8))
  let bits = 0
  let value = 0
  let index = 0
  for (const ch of text) {
    const v = ALPHABET.indexOf(ch)
    if (v < 0) return undefined
    value = (value << 5) | v
    bits += 5
    if (bits >= 8) {
      out[index++] = (value >>> (bits - 8)) & 0xff
      bits -= 8
    }
  }
  return out
}

function base32Encode (bytes: Uint8Array): string {
  let out = ''
  let bits = 0
  let value = 0
  for (const b of bytes) {
    value = (value << 8) | b
    bits += 8
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31]
  return out
}

/** The 2-byte checksum of a v3 onion name for `publicKey`. */
export function onion3Checksum (publicKey: Uint8Array, version = ONION3_VERSION): Uint8Array {
  const input = new Uint8Array(CHECKSUM_PREFIX.length + 33)
  input.set(CHECKSUM_PREFIX, 0)
  input.set(publicKey, CHECKSUM_PREFIX.length)
  input[input.length - 1] = version
  return sha3_256(input).subarray(0, 2)
}

/** The 56-character lowercase v3 onion name of an ed25519 public key. */
export function onion3FromPublicKey (publicKey: Uint8Array): string {
  if (publicKey.length !== 32) {
    throw new InvalidOnionAddressError('length', `public key must be 32 bytes, got ${publicKey.length}`)
  }
  const raw = new Uint8Array(35)
  raw.set(publicKey, 0)
  raw.set(onion3Checksum(publicKey), 32)
  raw[34] = ONION3_VERSION
  return base32Encode(raw)
}

/**
 * Decode and check a v3 onion name (56 characters, with or without the
 * `.onion` suffix, any case). Throws InvalidOnionAddressError.
 */
export function decodeOnion3 (name: string): DecodedOnion3 {
  const bare = name.toLowerCase().replace(/\.onion$/, '')
  if (bare.length !== ONION3_NAME_LENGTH) {
    throw new InvalidOnionAddressError('length', `expected ${ONION3_NAME_LENGTH} base32 characters, got ${bare.length}`)
  }
  const raw = base32Decode(bare)
  if (raw == null) {
    throw new InvalidOnionAddressError('base32', `"${name}" has a character outside a-z2-7`)
  }
  const publicKey = raw.slice(0, 32)
  const checksum = raw.slice(32, 34)
  const version = raw[34]
  if (version !== ONION3_VERSION) {
    throw new InvalidOnionAddressError('version', `version byte is ${version}, expected ${ONION3_VERSION}`)
  }
  const expected = onion3Checksum(publicKey, version)
  if (expected[0] !== checksum[0] || expected[1] !== checksum[1]) {
    throw new InvalidOnionAddressError('checksum', `checksum of "${bare}" does not match its public key`)
  }
  return { publicKey, checksum, version }
}

/** True if `name` is a valid v3 onion name (suffix optional, any case). */
export function isOnion3 (name: string): boolean {
  try {
    decodeOnion3(name)
    return true
  } catch {
    return false
  }
}

/** `<56 lowercase chars>.onion` for a valid name; throws otherwise. */
export function normalizeOnion3Host (name: string): string {
  decodeOnion3(name)
  return `${name.toLowerCase().replace(/\.onion$/, '')}.onion`
}

function parsePort (text: string): number {
  if (!/^[0-9]{1,5}$/.test(text)) {
    throw new InvalidOnionAddressError('port', `port "${text}" is not a number`)
  }
  const port = Number(text)
  if (port < 1 || port > 65535) {
    throw new InvalidOnionAddressError('port', `port ${port} is outside 1..65535`)
  }
  return port
}

/** Parse the value of an onion3 component, `<56 chars>:<port>`. */
export function parseOnion3Value (value: string): OnionTarget {
  const colon = value.lastIndexOf(':')
  if (colon < 0) {
    throw new InvalidOnionAddressError('missing-port', `"${value}" has no :<port>`)
  }
  const host = normalizeOnion3Host(value.slice(0, colon))
  return { host, port: parsePort(value.slice(colon + 1)) }
}

/**
 * Parse `/onion3/<56 chars>:<port>` (optionally followed by `/p2p/<id>`) into
 * `{ host: '<56>.onion', port }`. Throws InvalidOnionAddressError.
 */
export function parseOnion3Multiaddr (ma: Multiaddr | string): OnionTarget {
  let components
  try {
    components = (typeof ma === 'string' ? multiaddr(ma) : ma).getComponents()
  } catch (err) {
    throw new InvalidOnionAddressError('not-onion3', `not a multiaddr: ${(err as Error).message}`)
  }
  const [first, ...rest] = components
  if (first?.name !== ONION3_PROTOCOL || first.value == null) {
    throw new InvalidOnionAddressError('not-onion3', `${String(ma)} does not start with /onion3`)
  }
  if (rest.length > 1 || (rest.length === 1 && rest[0].name !== 'p2p')) {
    throw new InvalidOnionAddressError('trailing', `${String(ma)} has more than /onion3 and /p2p`)
  }
  return parseOnion3Value(first.value)
}

/** The onion name in the text of tor's `<HiddenServiceDir>/hostname` file. */
export function onionFromHostnameFile (text: string): string {
  const line = text.trim()
  if (line === '') throw new InvalidOnionAddressError('empty', 'hostname file is empty')
  if (!line.toLowerCase().endsWith('.onion')) {
    throw new InvalidOnionAddressError('length', `"${line}" does not end in .onion`)
  }
  return normalizeOnion3Host(line)
}

/** `/onion3/<name>:<port>` for a name with or without `.onion`. */
export function onion3Multiaddr (host: string, port: number): Multiaddr {
  const name = normalizeOnion3Host(host).slice(0, -'.onion'.length)
  parsePort(String(port))
  return multiaddr(`/${ONION3_PROTOCOL}/${name}:${port}`)
}
