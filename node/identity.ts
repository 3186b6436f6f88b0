/**
 * The node's identity: one Ed25519 seed in $FUNKPOST_HOME/identity.key
 * (mode 0600). The libp2p PeerId comes from the same key. A corrupt or
 * readable-by-others key file is an error naming the file; nothing is ever
 * silently regenerated.
 */
import fs from 'node:fs'
import path from 'node:path'
import crypto from 'node:crypto'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import type { Ed25519PrivateKey } from '@libp2p/interface'
import { ed25519 } from '../mesh/ed25519.js'
import { edSeedToX, edPublicToX } from '../mesh/x25519.js'
import { idFromPublicKey } from '../mesh/ids.js'
import { IdentityCorruptError, IdentityExistsError, IdentityMissingError, IdentityPermissionError } from './errors.js'

export const IDENTITY_FILE = 'identity.key'

export interface Identity {
  seed: Uint8Array
  publicKey: Uint8Array
  /** PeerId text: the user's id. */
  id: string
  /** X25519 keys for opening sealed boxes. */
  xSecret: Uint8Array
  xPublic: Uint8Array
}

interface KeyFile {
  type: 'funkpost-identity'
  v: 1
  seed: string
  publicKey: string
}

export function identityFromSeed (seed: Uint8Array): Identity {
  if (seed.length !== 32) throw new IdentityCorruptError('an identity seed is 32 bytes')
  const publicKey = ed25519.publicKey(seed)
  return { seed, publicKey, id: idFromPublicKey(publicKey), xSecret: edSeedToX(seed), xPublic: edPublicToX(publicKey) }
}

export function identityPath (home: string): string {
  return path.join(home, IDENTITY_FILE)
}

/** Create a new identity; refuses to overwrite an existing key unless force. */
export function createIdentity (home: string, opts: { force?: boolean } = {}): Identity {
  const file = identityPath(home)
  fs.mkdirSync(home, { recursive: true, mode: 0o700 })
  if (fs.existsSync(file) && opts.force !== true) {
    throw new IdentityExistsError(`${file} already exists; it is this node's identity. Use --force to replace it (the old id is lost).`)
  }
  const identity = identityFromSeed(new Uint8Array(crypto.randomBytes(32)))
  writeIdentityFile(home, identity)
  return identity
}

/** Write identity.key (0600) atomically: beside, then rename — a crash never leaves a half-written key. */
export function writeIdentityFile (home: string, identity: Identity): void {
  fs.mkdirSync(home, { recursive: true, mode: 0o700 })
  const file = identityPath(home)
  const body: KeyFile = {
    type: 'funkpost-identity',
    v: 1,
    seed: Buffer.from(identity.seed).toString('base64'),
    publicKey: Buffer.from(identity.publicKey).toString('base64')
  }
  const tmp = `${file}.${process.pid}.tmp`
  fs.writeFileSync(tmp, JSON.stringify(body, null, 2) + '\n', { mode: 0o600 })
  fs.chmodSync(tmp, 0o600)
  fs.renameSync(tmp, file)
}

export function loadIdentity (home: string): Identity {
  const file = identityPath(home)
  let stat: fs.Stats
  try {
    stat = fs.statSync(file)
  } catch {
    throw new IdentityMissingError(`no identity at ${file}; run \`funkpost init\` first`)
  }
  if ((stat.mode & 0o077) !== 0) {
    throw new IdentityPermissionError(`${file} is readable by others (mode ${(stat.mode & 0o777).toString(8)}); run \`chmod 600 ${file}\` and check who may have copied it`)
  }
  let parsed: KeyFile
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'))
  } catch {
    throw new IdentityCorruptError(`${file} is not a funkpost identity file (not JSON); restore it from a backup, or move it away and run \`funkpost init\` for a new id`)
  }
  const seed = typeof parsed?.seed === 'string' ? new Uint8Array(Buffer.from(parsed.seed, 'base64')) : new Uint8Array(0)
  if (parsed?.type !== 'funkpost-identity' || parsed.v !== 1 || seed.length !== 32) {
    throw new IdentityCorruptError(`${file} is damaged (no 32-byte seed); restore it from a backup, or move it away and run \`funkpost init\` for a new id`)
  }
  const identity = identityFromSeed(seed)
  if (Buffer.from(identity.publicKey).toString('base64') !== parsed.publicKey) {
    throw new IdentityCorruptError(`${file} is damaged (its seed does not match its public key); restore it from a backup`)
  }
  return identity
}

/** The same key as a libp2p private key, so the PeerId is the user's id. */
export async function libp2pKey (identity: Identity): Promise<Ed25519PrivateKey> {
  return generateKeyPairFromSeed('Ed25519', identity.seed)
}
