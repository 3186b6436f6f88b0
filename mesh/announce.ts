/**
 * ANNOUNCE envelopes (a node's name, addresses and roles, signed, public)
 * and the bounded peer directory they fill, so `peers` can list nodes seen
 * beyond direct neighbours.
 */
import { Announce } from './pb/wire.js'
import { signEnvelope, toHex, Kind, Priority, type ValidEnvelope, type SignedEnvelope } from './envelope.js'
import { ANNOUNCE_LIFETIME_MS, ANNOUNCE_MAX_ADDRS, ANNOUNCE_MAX_NAME } from './constants.js'
import { idFromPublicKey } from './ids.js'

export { Announce }

export interface DirectoryEntry {
  /** PeerId text */
  id: string
  /** Ed25519 key, hex */
  key: string
  name: string
  addrs: string[]
  roles: string[]
  /** Author's created time of the newest announce, ms. */
  at: number
  expires: number
}

export function makeAnnounce (seed: Uint8Array, publicKey: Uint8Array, info: { name: string, addrs: string[], roles: string[] }, now: number): SignedEnvelope {
  const payload = Announce.encode({
    name: info.name.slice(0, ANNOUNCE_MAX_NAME),
    addrs: info.addrs.slice(0, ANNOUNCE_MAX_ADDRS),
    roles: info.roles.slice(0, 8)
  })
  return signEnvelope(seed, {
    kind: Kind.ANNOUNCE, from: publicKey, to: publicKey, created: now,
    expires: now + ANNOUNCE_LIFETIME_MS, priority: Priority.LOW, payload
  })
}

/** Parse an announce's payload with limits; undefined when it does not fit them. */
export function readAnnounce (v: ValidEnvelope): DirectoryEntry | undefined {
  if (v.body.kind !== Kind.ANNOUNCE) return undefined
  let a: Announce
  try {
    a = Announce.decode(v.body.payload, { limits: { addrs: ANNOUNCE_MAX_ADDRS, roles: 8 } })
  } catch {
    return undefined
  }
  if (a.name.length > ANNOUNCE_MAX_NAME || a.addrs.some(x => x.length > 300) || a.roles.some(r => r.length > 32)) return undefined
  return {
    id: idFromPublicKey(v.body.from),
    key: toHex(v.body.from),
    name: a.name,
    addrs: a.addrs,
    roles: a.roles,
    at: v.body.created,
    expires: v.body.expires
  }
}

/** Newest announce per node, at most `max` nodes (the stalest dropped first). */
export class Directory {
  private readonly entries = new Map<string, DirectoryEntry>()
  constructor (private readonly max: number, private readonly now: () => number = Date.now) {}

  /** True when the entry is new or newer than what was known. */
  update (e: DirectoryEntry): boolean {
    const old = this.entries.get(e.id)
    if (old !== undefined && old.at >= e.at) return false
    this.entries.delete(e.id)
    this.entries.set(e.id, e)
    while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value as string)
    return true
  }

  get (id: string): DirectoryEntry | undefined { return this.entries.get(id) }

  list (): DirectoryEntry[] {
    const now = this.now()
    return [...this.entries.values()].filter(e => e.expires > now)
  }

  /** Find by name (exact), newest first. */
  byName (name: string): DirectoryEntry[] {
    return this.list().filter(e => e.name === name).sort((a, b) => b.at - a.at)
  }
}
