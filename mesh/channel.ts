/**
 * Channels. A public channel is named (`#freifunk-berlin`): its id and key
 * derive from the normalised name, so anyone who knows the name can join and
 * read (the key only keeps relays that do not know the name from reading in
 * passing). A private channel has a random id and a random key carried in an
 * invite; its creator's key is the owner key, and owner actions (remove a
 * member and rotate the key, set the message lifetime) are CONTROL envelopes
 * signed by it.
 */
import crypto from 'node:crypto'
import { ChannelBox, ChannelControl } from './pb/channel.js'
import { sealWithKey, openWithKey } from './seal.js'
import { signEnvelope, Kind, Priority, type SignedEnvelope, type ValidEnvelope } from './envelope.js'
import { InvalidKeyError, OpenFailedError } from './errors.js'

export { ChannelBox, ChannelControl }

const NAME_RE = /^[a-z0-9][a-z0-9_.-]{0,63}$/

/** "#Freifunk-Berlin" → "freifunk-berlin"; throws for names that are not allowed. */
export function normalizeChannelName (name: string): string {
  const n = name.trim().replace(/^#/, '').toLowerCase()
  if (!NAME_RE.test(n)) throw new InvalidKeyError(`"${name}" is not a channel name: 1–64 of a-z 0-9 _ . - (a leading # is optional)`)
  return n
}

function sha256 (...parts: Array<string | Uint8Array>): Uint8Array {
  const h = crypto.createHash('sha256')
  for (const p of parts) h.update(p)
  return new Uint8Array(h.digest())
}

export function publicChannelId (name: string): Uint8Array {
  return sha256('funkpost/channel/v1/public-id\n', normalizeChannelName(name))
}

export function publicChannelKey (name: string): Uint8Array {
  return sha256('funkpost/channel/v1/public-key\n', normalizeChannelName(name))
}

export function newPrivateChannel (): { id: Uint8Array, key: Uint8Array } {
  return { id: new Uint8Array(crypto.randomBytes(32)), key: new Uint8Array(crypto.randomBytes(32)) }
}

/** Associated data of a channel box: binds it to channel, author and times. */
export function channelAad (channelId: Uint8Array, from: Uint8Array, created: number, expires: number): Uint8Array {
  const out = new Uint8Array(32 + 32 + 16)
  out.set(channelId, 0)
  out.set(from, 32)
  const v = new DataView(out.buffer)
  v.setBigUint64(64, BigInt(created))
  v.setBigUint64(72, BigInt(expires))
  return out
}

export interface PostInit {
  seed: Uint8Array
  from: Uint8Array
  channelId: Uint8Array
  key: Uint8Array
  epoch: number
  content: Uint8Array
  created: number
  expires: number
  priority?: Priority
}

export function makePost (p: PostInit): SignedEnvelope {
  const box = sealWithKey(p.content, p.key, channelAad(p.channelId, p.from, p.created, p.expires))
  return signEnvelope(p.seed, {
    kind: Kind.CHANNEL, from: p.from, to: p.channelId, created: p.created, expires: p.expires,
    priority: p.priority ?? Priority.NORMAL, payload: ChannelBox.encode({ epoch: p.epoch, box: box as Uint8Array<ArrayBuffer> })
  })
}

/** The epoch of a post's key, or undefined when the payload is not a ChannelBox. */
export function postEpoch (v: ValidEnvelope): number | undefined {
  try { return ChannelBox.decode(v.body.payload).epoch } catch { return undefined }
}

/** Open a post with the key of its epoch; throws OpenFailedError. */
export function openPost (v: ValidEnvelope, key: Uint8Array): Uint8Array {
  let box: ChannelBox
  try { box = ChannelBox.decode(v.body.payload) } catch { throw new OpenFailedError('not a channel box') }
  return openWithKey(box.box, key, channelAad(v.body.to, v.body.from, v.body.created, v.body.expires))
}

export function makeControl (seed: Uint8Array, owner: Uint8Array, channelId: Uint8Array, c: { action?: ChannelControl.Action, member?: Uint8Array, epoch?: number, lifetimeMs?: number, name?: string }, created: number, expires: number): SignedEnvelope {
  return signEnvelope(seed, {
    kind: Kind.CONTROL, from: owner, to: channelId, created, expires, priority: Priority.CRITICAL,
    payload: ChannelControl.encode({ action: c.action ?? ChannelControl.Action.NONE, member: (c.member ?? new Uint8Array(0)) as Uint8Array<ArrayBuffer>, epoch: c.epoch ?? 0, lifetimeMs: c.lifetimeMs ?? 0, name: c.name ?? '' })
  })
}

export function readControl (v: ValidEnvelope): ChannelControl | undefined {
  if (v.body.kind !== Kind.CONTROL) return undefined
  try {
    const c = ChannelControl.decode(v.body.payload)
    if (c.member.length !== 0 && c.member.length !== 32) return undefined
    if (c.name.length > 64) return undefined
    return c
  } catch {
    return undefined
  }
}
