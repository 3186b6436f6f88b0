/**
 * Moving an identity: the key and the contacts in one passphrase-sealed
 * file (mesh/passbox.ts: scrypt + XChaCha20-Poly1305), written 0600. An
 * import writes identity.key into a home that has none (or has the same
 * identity already) and returns the contacts for the caller to add.
 */
import fs from 'node:fs'
import path from 'node:path'
import { sealWithPassphrase, openWithPassphrase } from '../mesh/passbox.js'
import { DamagedFileError } from '../mesh/errors.js'
import { identityFromSeed, identityPath, loadIdentity, writeIdentityFile, type Identity } from './identity.js'
import { IdentityExistsError, InvalidArgumentError } from './errors.js'

export const IDENTITY_EXPORT_TYPE = 'funkpost-identity-export'

export interface ExportedContact { name: string, id: string, verified: boolean }

interface ExportBody {
  v: 1
  /** base64 of the 32-byte Ed25519 seed */
  seed: string
  /** PeerId text, checked against the seed on import */
  id: string
  name: string
  contacts: ExportedContact[]
}

/** Write an export of `identity` with `contacts` to `file` (mode 0600); refuses to overwrite unless `force`. */
export async function writeIdentityExport (file: string, identity: Identity, name: string, contacts: ExportedContact[], passphrase: string, force = false): Promise<void> {
  if (!force && fs.existsSync(file)) throw new InvalidArgumentError(`${file} exists; choose another file or pass --force to replace it`)
  const body: ExportBody = { v: 1, seed: Buffer.from(identity.seed).toString('base64'), id: identity.id, name, contacts }
  const sealed = await sealWithPassphrase(IDENTITY_EXPORT_TYPE, new TextEncoder().encode(JSON.stringify(body)), passphrase)
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true })
  const tmp = `${file}.${process.pid}.tmp`
  fs.writeFileSync(tmp, JSON.stringify(sealed, null, 2) + '\n', { mode: 0o600 })
  fs.chmodSync(tmp, 0o600)
  fs.renameSync(tmp, file)
}

/** Open an export; DamagedFileError / WrongPassphraseError as the file deserves. */
export async function readIdentityExport (file: string, passphrase: string): Promise<{ identity: Identity, name: string, contacts: ExportedContact[] }> {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (err) {
    throw new InvalidArgumentError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  const plain = await openWithPassphrase(IDENTITY_EXPORT_TYPE, text, passphrase)
  let body: ExportBody
  try {
    body = JSON.parse(new TextDecoder().decode(plain))
  } catch {
    throw new DamagedFileError('the sealed content is not JSON')
  }
  const seed = typeof body?.seed === 'string' ? new Uint8Array(Buffer.from(body.seed, 'base64')) : new Uint8Array(0)
  if (body?.v !== 1 || seed.length !== 32 || !Array.isArray(body.contacts)) throw new DamagedFileError('the sealed content is not an identity export')
  const identity = identityFromSeed(seed)
  if (identity.id !== body.id) throw new DamagedFileError('the key does not match the id it was exported with')
  const contacts = body.contacts.filter(c => typeof c?.name === 'string' && typeof c.id === 'string').map(c => ({ name: c.name, id: c.id, verified: c.verified === true }))
  return { identity, name: typeof body.name === 'string' ? body.name : '', contacts }
}

/**
 * Put an imported identity into `home`: written when the home has none;
 * accepted as is when it holds the same identity; refused when it holds
 * another (that would throw an identity away). Returns whether it wrote.
 */
export function installIdentity (home: string, identity: Identity): boolean {
  if (!fs.existsSync(identityPath(home))) {
    writeIdentityFile(home, identity)
    return true
  }
  const current = loadIdentity(home)
  if (current.id === identity.id) return false
  throw new IdentityExistsError(`${identityPath(home)} holds another identity (${current.id}); import into an empty --home, or move that one away first`)
}
