/**
 * Invite links: funkpost://invite?v=1&id=ID&name=NAME&addr=MA&addr=MA
 * Channel invites add &ch=NAME, and for private channels &cid=HEX (channel
 * id) &ck=KEY (base64url) &ep=EPOCH &owner=ID. Shown as a link
 * and a QR code; `invite accept LINK` adds the contact and dials the addrs.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { isId } from '../mesh/ids.js'
import { InvalidInviteError } from './errors.js'

export interface Invite {
  id: string
  name?: string
  addrs: string[]
  /** Channel invites (later): channel name and base64url key. */
  channel?: string
  channelKey?: string
  channelId?: string
  epoch?: number
  owner?: string
}

export const INVITE_PREFIX = 'funkpost://invite?'
const MAX_LINK = 4096

export function makeInvite (inv: Invite): string {
  const q = new URLSearchParams()
  q.set('v', '1')
  q.set('id', inv.id)
  if (inv.name !== undefined && inv.name !== '') q.set('name', inv.name)
  for (const a of inv.addrs) q.append('addr', a)
  if (inv.channel !== undefined) q.set('ch', inv.channel)
  if (inv.channelId !== undefined) q.set('cid', inv.channelId)
  if (inv.channelKey !== undefined) q.set('ck', inv.channelKey)
  if (inv.epoch !== undefined) q.set('ep', String(inv.epoch))
  if (inv.owner !== undefined) q.set('owner', inv.owner)
  return INVITE_PREFIX + q.toString()
}

export function parseInvite (link: string): Invite {
  const text = link.trim()
  if (text.length > MAX_LINK) throw new InvalidInviteError('invite link is too long')
  if (!text.startsWith(INVITE_PREFIX)) throw new InvalidInviteError(`not a funkpost invite link (it must start with ${INVITE_PREFIX})`)
  const q = new URLSearchParams(text.slice(INVITE_PREFIX.length))
  if (q.get('v') !== '1') throw new InvalidInviteError(`unsupported invite version ${q.get('v') ?? '(none)'}; update funkpost`)
  const id = q.get('id') ?? ''
  if (!isId(id) && q.get('ch') === null) throw new InvalidInviteError('invite link has no valid id')
  const addrs = q.getAll('addr').slice(0, 16)
  for (const a of addrs) {
    try { multiaddr(a) } catch { throw new InvalidInviteError(`invite link has a malformed address: ${a}`) }
  }
  const name = q.get('name') ?? undefined
  const channel = q.get('ch') ?? undefined
  const channelId = q.get('cid') ?? undefined
  const channelKey = q.get('ck') ?? undefined
  const owner = q.get('owner') ?? undefined
  const epoch = q.get('ep') !== null ? Number(q.get('ep')) : undefined
  if (channelId !== undefined || channelKey !== undefined) {
    if (channelId === undefined || !/^[0-9a-f]{64}$/.test(channelId)) throw new InvalidInviteError('channel invite has no valid channel id')
    if (channelKey === undefined || Buffer.from(channelKey, 'base64url').length !== 32) throw new InvalidInviteError('channel invite has no valid 32-byte key')
    if (owner === undefined || !isId(owner)) throw new InvalidInviteError('channel invite has no valid owner id')
    if (epoch !== undefined && !(Number.isInteger(epoch) && epoch >= 0)) throw new InvalidInviteError('channel invite has a bad key epoch')
  }
  return { id, name, addrs, channel, channelKey, channelId, epoch, owner }
}
