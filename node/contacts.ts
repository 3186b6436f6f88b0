/**
 * Contacts: nicknames for ids, with a verified mark. A name keeps its key
 * for life: adding a different key under a known name is refused loudly
 * (KeyChangedError), never silently accepted.
 */
import { publicKeyFromId, idFromPublicKey, isId } from '../mesh/ids.js'
import { toHex } from '../mesh/envelope.js'
import type { Sub } from '../store-forward/db.js'
import { ContactExistsError, KeyChangedError, UnknownContactError, InvalidArgumentError } from './errors.js'

export interface Contact {
  name: string
  /** PeerId text */
  id: string
  /** Ed25519 key, hex */
  key: string
  verified: boolean
  added: number
}

const NAME_RE = /^[\p{L}\p{N}_.-]{1,32}$/u

export function checkName (name: string): string {
  // An id (52 chars) would also fail NAME_RE; check it first so swapped arguments get the helpful message.
  if (isId(name)) throw new InvalidArgumentError(`"${name}" looks like an id; pick a nickname (the order is: funkpost contacts add NAME ID)`)
  if (!NAME_RE.test(name)) throw new InvalidArgumentError(`"${name}" is not a usable contact name: 1–32 letters, digits, '_', '.', '-'`)
  return name
}

export class Contacts {
  private readonly byName = new Map<string, Contact>()

  private constructor (private readonly sub: Sub<unknown>, private readonly now: () => number) {}

  static async open (sub: Sub<unknown>, now: () => number = Date.now): Promise<Contacts> {
    const c = new Contacts(sub, now)
    for await (const [name, v] of sub.iterator()) c.byName.set(name, v as Contact)
    return c
  }

  list (): Contact[] { return [...this.byName.values()].sort((a, b) => a.name.localeCompare(b.name)) }
  get (name: string): Contact | undefined { return this.byName.get(name) }
  byKey (keyHex: string): Contact | undefined { return [...this.byName.values()].find(c => c.key === keyHex) }

  async add (name: string, id: string): Promise<{ contact: Contact, created: boolean }> {
    checkName(name)
    const key = toHex(publicKeyFromId(id))
    const old = this.byName.get(name)
    if (old !== undefined) {
      if (old.key === key) return { contact: old, created: false }
      throw new KeyChangedError(`WARNING: "${name}" is saved with a different key (${old.id}). The new id ${id} is NOT accepted. If ${name} really has a new key, check with them in person, then \`funkpost contacts rm ${name}\` and add again.`)
    }
    const other = this.byKey(key)
    if (other !== undefined) throw new ContactExistsError(`${id} is already saved as "${other.name}"`)
    const contact: Contact = { name, id: idFromPublicKey(publicKeyFromId(id)), key, verified: false, added: this.now() }
    await this.sub.put(name, contact)
    this.byName.set(name, contact)
    return { contact, created: true }
  }

  async remove (name: string): Promise<Contact> {
    const c = this.byName.get(name)
    if (c === undefined) throw new UnknownContactError(`no contact named "${name}" (see \`funkpost contacts list\`)`)
    await this.sub.del(name)
    this.byName.delete(name)
    return c
  }

  async setVerified (name: string, verified: boolean): Promise<Contact> {
    const c = this.byName.get(name)
    if (c === undefined) throw new UnknownContactError(`no contact named "${name}" (see \`funkpost contacts list\`)`)
    c.verified = verified
    await this.sub.put(name, c)
    return c
  }

  /** An id, or a contact name, to a key (hex) and id. */
  resolve (target: string): { key: string, id: string, name?: string } {
    const c = this.byName.get(target)
    if (c !== undefined) return { key: c.key, id: c.id, name: c.name }
    if (isId(target)) {
      const key = toHex(publicKeyFromId(target))
      return { key, id: target, name: this.byKey(key)?.name }
    }
    throw new UnknownContactError(`"${target}" is neither a contact nor an id; add it with \`funkpost contacts add NAME ID\` (see \`funkpost contacts list\`)`)
  }

  /** Display name of a key: contact name, else the id. */
  label (keyHex: string): string {
    return this.byKey(keyHex)?.name ?? idFromPublicKey(Buffer.from(keyHex, 'hex'))
  }
}
