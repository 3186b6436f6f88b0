/**
 * The control API: one handler per method, shared by the control socket
 * (a running daemon) and by CLI commands run against an offline node. JSON
 * shapes here are the contract documented in docs/CLI.md.
 */
import { fromHex, toHex, PRIORITY_RANK } from '../mesh/envelope.js'
import { idFromPublicKey, safetyNumber } from '../mesh/ids.js'
import { Priority } from '../mesh/pb/envelope.js'
import { ContentType } from '../mesh/content.js'
import type { HistoryEntry } from '../store-forward/history.js'
import type { FunkpostNode } from './node.js'
import { Contacts, type Contact } from './contacts.js'
import { makeInvite, parseInvite } from './invite.js'
import { NoDaemonError, InvalidArgumentError } from './errors.js'

export interface ApiContext {
  node: FunkpostNode
  contacts: Contacts
}

export async function makeContext (node: FunkpostNode): Promise<ApiContext> {
  return { node, contacts: await Contacts.open(node.stores.contacts) }
}

type Params = Record<string, unknown>
export type Handler = (ctx: ApiContext, params: Params) => Promise<unknown>

const RANK_NAME = ['critical', 'normal', 'low']

function str (p: Params, key: string, required = true): string | undefined {
  const v = p[key]
  if (v === undefined || v === null) {
    if (required) throw new InvalidArgumentError(`missing ${key}`)
    return undefined
  }
  if (typeof v !== 'string') throw new InvalidArgumentError(`${key} must be a string`)
  return v
}

function online (ctx: ApiContext, what: string): void {
  if (!ctx.node.online) throw new NoDaemonError(`no funkpost node is running for this home, so ${what} is not possible; start one with \`funkpost start\` (or use \`funkpost chat\`)`)
}

/** "2026-11-22T10:00:00Z", a number of ms, or a duration ago ("30m", "2h", "7d"). */
export function parseSince (s: string, now = Date.now()): number {
  const d = /^(\d+)\s*(s|m|h|d)$/.exec(s.trim())
  if (d !== null) return now - Number(d[1]) * { s: 1e3, m: 6e4, h: 36e5, d: 864e5 }[d[2] as 's']
  if (/^\d+$/.test(s.trim())) return Number(s)
  const t = Date.parse(s)
  if (Number.isNaN(t)) throw new InvalidArgumentError(`--since "${s}" is not a time: use an ISO date, ms since 1970, or a duration like 30m, 2h, 7d`)
  return t
}

export function inboxRow (ctx: ApiContext, e: HistoryEntry): { id: string, from: string, text: string, at: string, status: string } {
  return { id: e.id, from: idFromPublicKey(fromHex(e.from)), text: e.deleted === true ? '' : e.text, at: new Date(e.at).toISOString(), status: e.status }
}

/** A history entry for chat and scripts: who, what, when, state, and its edits/reactions. */
export function messageRow (ctx: ApiContext, e: HistoryEntry): Record<string, unknown> {
  return {
    ...inboxRow(ctx, e),
    to: e.conv === 'channel' ? e.to : idFromPublicKey(fromHex(e.to)),
    dir: e.dir,
    conv: e.conv,
    peer: e.conv === 'channel' ? e.peer : idFromPublicKey(fromHex(e.peer)),
    name: ctx.contacts.label(e.from),
    type: e.type,
    ref: e.ref,
    edited: e.edited === true,
    deleted: e.deleted === true,
    reactions: Object.fromEntries(Object.entries(e.reactions ?? {}).map(([k, v]) => [ctx.contacts.label(k), v])),
    deleteAt: e.deleteAt !== undefined ? new Date(e.deleteAt).toISOString() : undefined,
    channel: e.conv === 'channel' ? ctx.node.channels?.get(e.peer)?.name : undefined
  }
}

function contactRow (c: Contact): { name: string, id: string, verified: boolean } {
  return { name: c.name, id: c.id, verified: c.verified }
}

export const handlers: Record<string, Handler> = {
  async status (ctx) {
    const s = ctx.node.status()
    return { ...s, online: ctx.node.online }
  },

  async peers (ctx) {
    online(ctx, 'listing peers')
    return ctx.node.peers().map(p => ({ id: p.id, name: p.name !== '' ? p.name : (ctx.contacts.byKey(p.key)?.name ?? ''), addrs: p.addrs, connected: p.connected }))
  },

  async send (ctx, p) {
    const target = ctx.contacts.resolve(str(p, 'to') as string)
    const text = str(p, 'text') as string
    if (text.length === 0) throw new InvalidArgumentError('nothing to send: the message text is empty')
    const ref = str(p, 'ref', false)
    const type = ref !== undefined ? ContentType.REPLY : ContentType.TEXT
    const ttl = typeof p.ttlMs === 'number' ? p.ttlMs : undefined
    let id: string
    try {
      id = await ctx.node.send(fromHex(target.key), { type, text, ref: ref !== undefined ? fromHex(ref) : undefined }, { ttlMs: ttl })
    } catch (err) {
      // The seal's limit, said as what to do about it.
      if ((err as Error).name === 'ContentTooLargeError') throw new InvalidArgumentError(`the message is too long (${(err as Error).message}); send it in shorter parts`)
      throw err
    }
    return { id, to: target.id, queued: !ctx.node.online }
  },

  /** Reactions, edits, deletes, read markers, typing: small sealed messages about an earlier one. */
  async act (ctx, p) {
    const target = ctx.contacts.resolve(str(p, 'to') as string)
    const kind = str(p, 'kind') as string
    const types: Record<string, ContentType> = { react: ContentType.REACTION, edit: ContentType.EDIT, delete: ContentType.DELETE, read: ContentType.READ, typing: ContentType.TYPING }
    const type = types[kind]
    if (type === undefined) throw new InvalidArgumentError(`unknown action ${kind}`)
    const ref = str(p, 'ref', type !== ContentType.TYPING)
    const id = await ctx.node.send(fromHex(target.key), {
      type, ref: ref !== undefined ? fromHex(ref) : undefined, text: str(p, 'text', false), emoji: str(p, 'emoji', false)
    }, { priority: type === ContentType.TYPING ? Priority.LOW : undefined, lifetimeMs: type === ContentType.TYPING ? 60_000 : undefined })
    return { id }
  },

  async inbox (ctx, p) {
    const from = str(p, 'from', false)
    const since = str(p, 'since', false)
    const limit = p.limit === undefined ? undefined : Number(p.limit)
    if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new InvalidArgumentError('--limit must be a positive whole number')
    const peer = from !== undefined ? ctx.contacts.resolve(from).key : undefined
    return ctx.node.history.list({ dir: 'in', conv: 'direct', peer, since: since !== undefined ? parseSince(since) : undefined, limit })
      .map(e => inboxRow(ctx, e))
  },

  /** The whole conversation (both directions) with one contact or id, for chat. */
  async history (ctx, p) {
    const w = str(p, 'with', false)
    const limit = p.limit === undefined ? 50 : Number(p.limit)
    const peer = w !== undefined ? ctx.contacts.resolve(w).key : undefined
    return ctx.node.history.list({ peer, conv: 'direct', limit }).map(e => messageRow(ctx, e))
  },

  async 'outbox.list' (ctx) {
    return ctx.node.outbox.list().map(e => {
      const m = ctx.node.envelopes.getMeta(e.id)
      return {
        id: e.id,
        to: m !== undefined ? idFromPublicKey(fromHex(m.to)) : '',
        kind: m?.kind,
        priority: RANK_NAME[e.rank],
        created: new Date(e.created).toISOString(),
        attempts: e.attempts,
        nextAt: new Date(e.nextAt).toISOString(),
        status: e.sentAt > 0 ? 'sent' : 'queued'
      }
    })
  },

  async 'outbox.flush' (ctx) {
    online(ctx, 'flushing the outbox')
    const n = ctx.node.outbox.size
    await ctx.node.outbox.wake()
    await ctx.node.pump()
    return { flushed: n, left: ctx.node.outbox.size }
  },

  async 'outbox.clear' (ctx) {
    const ids = ctx.node.outbox.list().map(e => e.id)
    for (const id of ids) await ctx.node.discard(id)
    return { cleared: ids.length }
  },

  async 'contacts.list' (ctx) { return ctx.contacts.list().map(contactRow) },

  async 'contacts.add' (ctx, p) {
    const r = await ctx.contacts.add(str(p, 'name') as string, str(p, 'id') as string)
    return { ...contactRow(r.contact), created: r.created }
  },

  async 'contacts.rm' (ctx, p) { return contactRow(await ctx.contacts.remove(str(p, 'name') as string)) },

  async verify (ctx, p) {
    const name = str(p, 'name') as string
    const target = ctx.contacts.resolve(name)
    if (target.name === undefined) throw new InvalidArgumentError(`add "${name}" as a contact first: \`funkpost contacts add NAME ${target.id}\``)
    const sn = safetyNumber(ctx.node.identity.publicKey, fromHex(target.key))
    const c = p.confirm === true ? await ctx.contacts.setVerified(target.name, true) : ctx.contacts.get(target.name)
    return { name: target.name, id: target.id, safetyNumber: sn.digits, words: sn.words, verified: c?.verified === true }
  },

  async block (ctx, p) {
    const target = ctx.contacts.resolve(str(p, 'target') as string)
    await ctx.node.block(target.key)
    return { blocked: target.id, name: target.name }
  },

  async unblock (ctx, p) {
    const target = ctx.contacts.resolve(str(p, 'target') as string)
    await ctx.node.unblock(target.key)
    return { unblocked: target.id, name: target.name }
  },

  async invite (ctx) {
    const addrs = ctx.node.online ? ctx.node.shareableAddrs() : []
    const link = makeInvite({ id: ctx.node.id, name: ctx.node.name, addrs })
    return { link, id: ctx.node.id, name: ctx.node.name, addrs }
  },

  async 'invite.accept' (ctx, p) {
    const inv = parseInvite(str(p, 'link') as string)
    const name = str(p, 'name', false) ?? inv.name
    if (name === undefined || name === '') throw new InvalidArgumentError('the invite carries no name; give one with --name NAME')
    const r = await ctx.contacts.add(name, inv.id)
    const dialled: string[] = []
    const errors: string[] = []
    if (ctx.node.online) {
      for (const a of inv.addrs) {
        try { await ctx.node.dial(a); dialled.push(a); break } catch (err) { errors.push(`${a}: ${(err as Error).message}`) }
      }
    }
    return { contact: contactRow(r.contact), created: r.created, dialled, errors, online: ctx.node.online }
  },

  async dial (ctx, p) {
    online(ctx, 'dialling')
    return { id: await ctx.node.dial(str(p, 'addr') as string) }
  }
}

export { RANK_NAME, PRIORITY_RANK, toHex }
