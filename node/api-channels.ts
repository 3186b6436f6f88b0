/** Control API: channels (join, create, leave, list, send, read, invite, remove, lifetime, mute). */
import { fromHex, toHex } from '../mesh/envelope.js'
import { idFromPublicKey, publicKeyFromId } from '../mesh/ids.js'
import { publicChannelId, normalizeChannelName } from '../mesh/channel.js'
import { ContentType } from '../mesh/content.js'
import type { ChannelState } from '../store-forward/channels.js'
import type { ApiContext, Handler } from './api.js'
import { parseSince, messageRow } from './api.js'
import { makeInvite, parseInvite, INVITE_PREFIX } from './invite.js'
import { InvalidArgumentError, UnknownContactError } from './errors.js'

function param (p: Record<string, unknown>, k: string): string {
  const v = p[k]
  if (typeof v !== 'string' || v === '') throw new InvalidArgumentError(`missing ${k}`)
  return v
}

/** A joined channel by name ("#public", "private", or the public name without #). */
export function resolveChannel (ctx: ApiContext, name: string): ChannelState {
  const ch = ctx.node.channels
  const s = ch.byName(name) ?? ch.byName('#' + name.replace(/^#/, '')) ?? ch.byName(name.replace(/^#/, ''))
  if (s !== undefined) return s
  if (name.startsWith('#')) {
    try { if (ch.get(toHex(publicChannelId(name))) !== undefined) return ch.get(toHex(publicChannelId(name)))! } catch {}
  }
  throw new UnknownContactError(`not a member of channel "${name}"; join it with \`funkpost channel join ${name.startsWith('#') ? name : '#' + name}\` (see \`funkpost channel list\`)`)
}

function row (s: ChannelState): Record<string, unknown> {
  return {
    name: s.name, id: s.id, kind: s.kind,
    owner: s.owner !== undefined ? idFromPublicKey(fromHex(s.owner)) : undefined,
    members: s.members.length, epoch: s.epoch, lifetimeMs: s.lifetimeMs
  }
}

/** "30s", "10m", "2h", "7d", or "off". */
export function parseDurationMs (s: string): number {
  if (/^(off|0)$/i.test(s)) return 0
  const m = /^(\d+)\s*(s|m|h|d)$/i.exec(s.trim())
  if (m === null) throw new InvalidArgumentError(`"${s}" is not a duration: use 30s, 10m, 2h, 7d or off`)
  return Number(m[1]) * { s: 1e3, m: 6e4, h: 36e5, d: 864e5 }[m[2].toLowerCase() as 's']
}

async function dialFirst (ctx: ApiContext, addrs: string[]): Promise<void> {
  for (const a of addrs) {
    try { await ctx.node.dial(a); return } catch {}
  }
}

export const channelHandlers: Record<string, Handler> = {
  async 'channel.join' (ctx, p) {
    const target = param(p, 'target')
    if (target.startsWith(INVITE_PREFIX)) {
      const inv = parseInvite(target)
      if (inv.channel === undefined) throw new InvalidArgumentError('that invite is for a contact, not a channel: use `funkpost invite accept LINK`')
      const joined = inv.channelId === undefined
        ? await ctx.node.joinPublic(inv.channel)
        : await ctx.node.joinPrivate({
          id: inv.channelId, name: inv.channel, owner: toHex(publicKeyFromId(inv.owner as string)),
          key: toHex(Buffer.from(inv.channelKey as string, 'base64url')), epoch: inv.epoch ?? 0
        })
      // The link names where the inviter was reachable: dial it (in the background; sync on contact brings the history).
      if (ctx.node.online && inv.id !== ctx.node.id) void dialFirst(ctx, inv.addrs)
      return row(joined)
    }
    if (!target.startsWith('#')) {
      const known = ctx.node.channels.byName(target)
      if (known !== undefined) return row(known)
    }
    return row(await ctx.node.joinPublic(target))
  },

  async 'channel.create' (ctx, p) {
    const name = normalizeChannelName(param(p, 'name'))
    if (ctx.node.channels.byName(name) !== undefined) throw new InvalidArgumentError(`you already have a channel named ${name}`)
    return row(await ctx.node.createPrivate(name))
  },

  async 'channel.leave' (ctx, p) {
    const s = resolveChannel(ctx, param(p, 'name'))
    await ctx.node.leaveChannel(s.id)
    return { left: s.name }
  },

  async 'channel.list' (ctx) { return ctx.node.channels.list().map(row) },

  async 'channel.send' (ctx, p) {
    const s = resolveChannel(ctx, param(p, 'name'))
    const ref = typeof p.ref === 'string' ? p.ref : undefined
    const text = param(p, 'text')
    const id = await ctx.node.channelPost(s.id, { type: ref !== undefined ? ContentType.REPLY : ContentType.TEXT, text, ref: ref !== undefined ? fromHex(ref) : undefined }, { ttlMs: typeof p.ttlMs === 'number' ? p.ttlMs : undefined })
    return { id, channel: s.name }
  },

  async 'channel.act' (ctx, p) {
    const s = resolveChannel(ctx, param(p, 'name'))
    const types: Record<string, ContentType> = { react: ContentType.REACTION, edit: ContentType.EDIT, delete: ContentType.DELETE }
    const type = types[param(p, 'kind')]
    if (type === undefined) throw new InvalidArgumentError(`unknown action ${String(p.kind)}`)
    const id = await ctx.node.channelPost(s.id, { type, ref: fromHex(param(p, 'ref')), text: typeof p.text === 'string' ? p.text : '', emoji: typeof p.emoji === 'string' ? p.emoji : '' })
    return { id }
  },

  async 'channel.read' (ctx, p) {
    const s = resolveChannel(ctx, param(p, 'name'))
    const limit = p.limit === undefined ? undefined : Number(p.limit)
    const since = typeof p.since === 'string' ? parseSince(p.since) : undefined
    const rich = p.rich === true
    return ctx.node.history.list({ peer: s.id, conv: 'channel', since, limit }).map(e => rich
      ? messageRow(ctx, e)
      : { id: e.id, from: idFromPublicKey(fromHex(e.from)), text: e.deleted === true ? '' : e.text, at: new Date(e.at).toISOString() })
  },

  async 'channel.invite' (ctx, p) {
    const s = resolveChannel(ctx, param(p, 'name'))
    if (s.kind === 'private' && s.keys[String(s.epoch)] === undefined) throw new InvalidArgumentError(`no key for ${s.name} yet: its owner rotated the key and the new one has not arrived; try again later`)
    const addrs = ctx.node.online ? ctx.node.shareableAddrs() : []
    const link = s.kind === 'public'
      ? makeInvite({ id: ctx.node.id, addrs, channel: s.name })
      : makeInvite({
        id: ctx.node.id, addrs, channel: s.name, channelId: s.id, epoch: s.epoch, owner: idFromPublicKey(fromHex(s.owner as string)),
        channelKey: Buffer.from(s.keys[String(s.epoch)], 'hex').toString('base64url')
      })
    return { link, channel: s.name }
  },

  async 'channel.remove' (ctx, p) {
    const s = resolveChannel(ctx, param(p, 'name'))
    const member = ctx.contacts.resolve(param(p, 'member'))
    const r = await ctx.node.channelRemove(s.id, member.key)
    return { channel: s.name, removed: member.id, epoch: r.epoch, notified: r.notified }
  },

  async 'channel.lifetime' (ctx, p) {
    const s = resolveChannel(ctx, param(p, 'name'))
    const ms = parseDurationMs(param(p, 'duration'))
    await ctx.node.channelLifetime(s.id, ms)
    return { channel: s.name, lifetimeMs: ms }
  },

  async 'channel.mute' (ctx, p) {
    const s = resolveChannel(ctx, param(p, 'name'))
    const member = ctx.contacts.resolve(param(p, 'member'))
    await ctx.node.channels.mute(s.id, member.key, p.off !== true)
    return { channel: s.name, member: member.id, muted: p.off !== true }
  }
}
