/**
 * A passphrase-sealed file: bytes encrypted under a key derived from a
 * passphrase (scrypt), with authenticated encryption (XChaCha20-Poly1305),
 * as one JSON object. Used for identity exports and backups; pure @noble
 * code, so a browser makes and opens the same files.
 *
 *   { "type": <what>, "v": 1,
 *     "kdf": { "name": "scrypt", "N": 65536, "r": 8, "p": 1, "salt": <base64, 16 bytes> },
 *     "cipher": "xchacha20-poly1305", "nonce": <base64, 24 bytes>,
 *     "data": <base64: ciphertext ‖ 16-byte tag> }
 *
 * The associated data is the UTF-8 of `type`, so an identity export cannot
 * be opened as a backup or the reverse.
 */
import { scryptAsync } from '@noble/hashes/scrypt.js'
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { randomBytes } from '@noble/ciphers/utils.js'
import { WrongPassphraseError, WeakPassphraseError, DamagedFileError } from './errors.js'

/** scrypt cost: N = 2^16, r = 8 (64 MiB, ~0.4 s on the development machine); p = 1. */
export const PASSBOX_KDF = { N: 65536, r: 8, p: 1 } as const
/** Shortest passphrase accepted when sealing. */
export const MIN_PASSPHRASE = 8
/** Largest scrypt N a file may ask for when opening (a hostile file cannot make us allocate more). */
const MAX_N = 2 ** 20

export interface PassboxFile {
  type: string
  v: 1
  kdf: { name: 'scrypt', N: number, r: number, p: number, salt: string }
  cipher: 'xchacha20-poly1305'
  nonce: string
  data: string
}

function b64 (b: Uint8Array): string {
  let bin = ''
  // In slices: spreading a whole backup into one call would overflow the stack.
  for (let i = 0; i < b.length; i += 0x8000) bin += String.fromCharCode(...b.subarray(i, i + 0x8000))
  return btoa(bin)
}
function unb64 (s: unknown, len?: number): Uint8Array {
  if (typeof s !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) throw new DamagedFileError('a field is not base64')
  const bin = atob(s)
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  if (len !== undefined && out.length !== len) throw new DamagedFileError(`a field has ${out.length} bytes, not ${len}`)
  return out
}

async function key (passphrase: string, salt: Uint8Array, kdf: { N: number, r: number, p: number }): Promise<Uint8Array> {
  return scryptAsync(new TextEncoder().encode(passphrase.normalize('NFC')), salt, { ...kdf, dkLen: 32, maxmem: 2 ** 31 })
}

/** Seal `plain` under `passphrase`; `type` names what the file holds. */
export async function sealWithPassphrase (type: string, plain: Uint8Array, passphrase: string, kdf: { N: number, r: number, p: number } = PASSBOX_KDF): Promise<PassboxFile> {
  if ([...passphrase].length < MIN_PASSPHRASE) throw new WeakPassphraseError(`use a passphrase of at least ${MIN_PASSPHRASE} characters`)
  const salt = randomBytes(16)
  const nonce = randomBytes(24)
  const k = await key(passphrase, salt, kdf)
  const data = xchacha20poly1305(k, nonce, new TextEncoder().encode(type)).encrypt(plain)
  return { type, v: 1, kdf: { name: 'scrypt', ...kdf, salt: b64(salt) }, cipher: 'xchacha20-poly1305', nonce: b64(nonce), data: b64(data) }
}

/** Parse and open a sealed file of the given `type`: DamagedFileError for anything malformed, WrongPassphraseError when it does not open. */
export async function openWithPassphrase (type: string, text: string, passphrase: string): Promise<Uint8Array> {
  let f: PassboxFile
  try {
    f = JSON.parse(text)
  } catch {
    throw new DamagedFileError('not a funkpost file (not JSON)')
  }
  if (f === null || typeof f !== 'object') throw new DamagedFileError('not a funkpost file')
  if (f.type !== type) throw new DamagedFileError(`not a ${type} file${typeof f.type === 'string' ? ` (it is a ${f.type} file)` : ''}`)
  if (f.v !== 1 || f.cipher !== 'xchacha20-poly1305' || f.kdf?.name !== 'scrypt') throw new DamagedFileError('an unknown version or cipher')
  const { N, r, p } = f.kdf
  if (!Number.isInteger(N) || N < 2 || N > MAX_N || (N & (N - 1)) !== 0 || !Number.isInteger(r) || r < 1 || r > 32 || !Number.isInteger(p) || p < 1 || p > 16) {
    throw new DamagedFileError('key derivation parameters out of range')
  }
  const salt = unb64(f.kdf.salt)
  const nonce = unb64(f.nonce, 24)
  const data = unb64(f.data)
  if (salt.length < 8 || data.length < 16) throw new DamagedFileError('truncated')
  const k = await key(passphrase, salt, { N, r, p })
  try {
    return xchacha20poly1305(k, nonce, new TextEncoder().encode(type)).decrypt(data)
  } catch {
    // An authentication failure: the wrong passphrase, or a changed byte (they cannot be told apart).
    throw new WrongPassphraseError('wrong passphrase, or the file was changed')
  }
}
