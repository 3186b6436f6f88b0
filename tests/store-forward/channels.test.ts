/**
 * store-forward/channels.ts: ChannelRoom state transitions over real LevelDB
 * stores — join/replay, posts into history once and in order, owner
 * actions (remove + key rotation, lifetime) and their rejection when not
 * signed by the owner, rotated keys from the owner only, mute, leave,
 * disappearing posts, and state that survives a reopen.
 */
import t from 'tap'
import path from 'node:path'
import { ChannelRoom, type ChannelState } from '../../store-forward/channels.js'
import { Mailroom } from '../../store-forward/mailroom.js'
import { EnvelopeStore } from '../../store-forward/envelopes.js'
import { Outbox } from '../../store-forward/outbox.js'
import { History, type HistoryEntry } from '../../store-forward/history.js'
import { openStores, type Stores } from '../../store-forward/db.js'
import { validateEnvelope, toHex, fromHex, type ValidEnvelope } from '../../mesh/envelope.js'
import { publicChannelId, publicChannelKey, newPrivateChannel, makePost, makeControl, ChannelControl } from '../../mesh/channel.js'
import { encodeContent, ContentType, Content } from '../../mesh/content.js'
import type { Identity } from '../../node/identity.js'
import { ident, tempDir, clock } from './helpers.js'

const LIMITS = { custodyBytes: 1e8, custodyPerAuthorBytes: 1e7, custodyPerRecipientBytes: 1e7 }
const T0 = 1_790_000_000_000

interface Member { id: Identity, me: string, room: ChannelRoom, mail: Mailroom, history: History, stores: Stores, dir: string, rejected: string[], clock: ReturnType<typeof clock> }

async function member (id: Identity, c = clock(T0), dir = tempDir()): Promise<Member> {
  const stores = await openStores(path.join(dir, 'db'))
  t.teardown(async () => stores.db.close().catch(() => {}))
  const envelopes = await EnvelopeStore.open(stores, LIMITS, c.now)
  const history = await History.open(stores)
  const room = await ChannelRoom.open({ stores, envelopes, history, identity: id, now: c.now })
  const mail = new Mailroom({ identity: id, stores, envelopes, outbox: await Outbox.open(stores, { now: c.now }), history, now: c.now, channels: room })
  const m: Member = { id, me: toHex(id.publicKey), room, mail, history, stores, dir, rejected: [], clock: c }
  room.on('rejected', r => m.rejected.push(r.reason))
  return m
}

function valid (bytes: Uint8Array, now = T0): ValidEnvelope {
  const v = validateEnvelope(bytes, { now })
  if (v.code !== 'valid') throw new Error(`invalid: ${v.reason}`)
  return v
}

/** Hand an envelope to a member's node as if it came by gossip. */
async function deliver (m: Member, bytes: Uint8Array): Promise<string> {
  return (await m.mail.receive(valid(bytes, m.clock.now()), bytes, 'gossip')).code
}

async function publicJoin (m: Member, name: string): Promise<ChannelState> {
  return m.room.join({ id: toHex(publicChannelId(name)), name, kind: 'public', keys: { 0: toHex(publicChannelKey(name)) }, epoch: 0 })
}

function texts (m: Member, channel: string): string[] {
  return m.history.list({ conv: 'channel', peer: channel }).map(e => e.text)
}

const alice = ident(21)
const bob = ident(22)
const carol = ident(23)
const mallory = ident(24)

t.test('public: a post goes into the author\'s and a member\'s history once; a non-member only holds it', async t => {
  const c = clock(T0)
  const [a, b, r] = [await member(alice, c), await member(bob, c), await member(carol, c)]
  const chan = toHex(publicChannelId('#t1'))
  await publicJoin(a, '#t1')
  await publicJoin(b, '#t1')
  const p = await a.room.post(chan, { text: 'hello channel' })
  t.equal(p.entry?.dir, 'out')
  t.equal(p.entry?.status, 'sent')
  t.equal(a.room.get(chan)?.members.includes(a.me), true, 'the author is a member seen')
  t.equal(await deliver(b, p.bytes), 'held')
  t.equal(await deliver(b, p.bytes), 'duplicate', 'the second copy is a duplicate')
  t.same(texts(b, chan), ['hello channel'])
  t.equal(b.history.get(p.id)?.dir, 'in')
  t.equal(b.history.get(p.id)?.from, a.me)
  t.equal(await deliver(r, p.bytes), 'held', 'a node that did not join holds it in custody')
  t.equal(r.history.size, 0, '…and has no history of it')
})

t.test('join later: held posts open in time order, whatever order they arrived in; replays add nothing twice', async t => {
  const c = clock(T0)
  const [a, b] = [await member(alice, c), await member(bob, c)]
  const chan = toHex(publicChannelId('#t2'))
  await publicJoin(a, '#t2')
  const posts = []
  for (let i = 0; i < 5; i++) { posts.push(await a.room.post(chan, { text: `m${i}` })); c.add(1000) }
  for (const p of [...posts].reverse()) t.equal(await deliver(b, p.bytes), 'held')
  t.equal(b.history.size, 0, 'not joined yet')
  const order: string[] = []
  b.room.on('post', e => order.push(e.text))
  await publicJoin(b, '#t2')
  t.same(order, ['m0', 'm1', 'm2', 'm3', 'm4'], 'opened oldest first')
  t.same(texts(b, chan), ['m0', 'm1', 'm2', 'm3', 'm4'])
  await b.room.replay(chan)
  await publicJoin(b, '#t2')
  t.equal(b.history.size, 5, 'replay and re-join add nothing')
})

t.test('private: remove rotates the key; the others open new posts only with the owner\'s new key; the removed member cannot', async t => {
  const c = clock(T0)
  const [o, b, m] = [await member(alice, c), await member(bob, c), await member(carol, c)]
  const { id, key } = newPrivateChannel()
  const chan = toHex(id)
  const inv = { id: chan, name: 'orga', kind: 'private' as const, owner: o.me, keys: { 0: toHex(key) }, epoch: 0 }
  await o.room.join(inv)
  await b.room.join(inv)
  await m.room.join(inv)
  for (const x of [b, m]) {
    const j = await x.room.post(chan, { type: ContentType.JOIN })
    t.equal(await deliver(o, j.bytes), 'held')
  }
  t.same(new Set(o.room.get(chan)?.members), new Set([b.me, m.me]), 'the owner saw both members join')
  c.add(1000)

  await t.rejects(b.room.remove(chan, m.me, newPrivateChannel().key), /only the owner/, 'a member cannot remove')
  const newKey = newPrivateChannel().key
  const r = await o.room.remove(chan, m.me, newKey)
  t.equal(r.epoch, 1)
  t.same(r.recipients, [b.me], 'the new key goes to the remaining member only')
  t.equal(o.room.get(chan)?.epoch, 1)
  t.equal(o.room.get(chan)?.removed[m.me], 1)
  for (const x of [b, m]) t.equal(await deliver(x, r.control), 'held')
  t.equal(b.room.get(chan)?.epoch, 1, 'members learn the new epoch from the owner\'s control envelope')
  t.equal(b.room.get(chan)?.keys['1'], undefined, '…but not the key')
  await t.rejects(b.room.post(chan, { text: 'too early' }), /no key/, 'no posting with the old key after a rotation')

  c.add(1000)
  const secret = await o.room.post(chan, { text: 'after the rotation' })
  t.equal(await deliver(b, secret.bytes), 'held')
  t.equal(b.history.has(secret.id), false, 'held until the new key arrives')
  // A "new key" from someone who is not the owner is refused.
  const fake = Content.decode(encodeContent({ type: ContentType.CHANNEL_KEY, ref: id, data: newPrivateChannel().key, chunk: 1 }))
  t.equal(await b.room.receiveKey(m.me, fake), false, 'a key from a non-owner is refused')
  const real = Content.decode(encodeContent({ type: ContentType.CHANNEL_KEY, ref: id, data: newKey, chunk: 1 }))
  t.equal(await b.room.receiveKey(o.me, real), true)
  t.same(texts(b, chan).filter(x => x !== '(joined)'), ['after the rotation'], 'the held post opens with the new key')

  t.equal(await deliver(m, secret.bytes), 'held')
  t.equal(m.history.has(secret.id), false, 'the removed member has no key for it')
  t.equal(m.room.get(chan)?.keys['1'], undefined)
  await t.rejects(m.room.post(chan, { text: 'me again' }), /you were removed from orga/, 'the removed member is told so when it tries to post')

  // The removed member still has the old key: its posts after the removal are refused by the others.
  const late = makePost({ seed: carol.seed, from: carol.publicKey, channelId: id, key, epoch: 0, content: encodeContent({ text: 'still here' }), created: c.now(), expires: c.now() + 60_000 })
  t.equal(await deliver(b, late.bytes), 'held')
  t.equal(b.history.has(toHex(late.id)), false, 'a removed member\'s post at the old epoch is not shown')
  t.ok(b.rejected.includes('removed member'))
})

t.test('owner actions not signed by the owner are rejected and change nothing; public channels take none', async t => {
  const c = clock(T0)
  const [o, b] = [await member(alice, c), await member(bob, c)]
  const { id, key } = newPrivateChannel()
  const chan = toHex(id)
  const inv = { id: chan, name: 'p', kind: 'private' as const, owner: o.me, keys: { 0: toHex(key) }, epoch: 0 }
  await b.room.join(inv)
  const before = JSON.stringify(b.room.get(chan))
  const forged = makeControl(mallory.seed, mallory.publicKey, id, { action: ChannelControl.Action.REMOVE, member: bob.publicKey, epoch: 5 }, T0, T0 + 60_000)
  t.equal(await deliver(b, forged.bytes), 'held')
  const lifetime = makeControl(mallory.seed, mallory.publicKey, id, { action: ChannelControl.Action.LIFETIME, lifetimeMs: 1000 }, T0, T0 + 60_000)
  t.equal(await deliver(b, lifetime.bytes), 'held')
  t.same(b.rejected, ['control not signed by the owner', 'control not signed by the owner'])
  t.equal(JSON.stringify(b.room.get(chan)), before, 'state unchanged')

  const pub = toHex(publicChannelId('#open'))
  await publicJoin(b, '#open')
  const onPublic = makeControl(alice.seed, alice.publicKey, publicChannelId('#open'), { action: ChannelControl.Action.LIFETIME, lifetimeMs: 1000 }, T0, T0 + 60_000)
  await deliver(b, onPublic.bytes)
  t.equal(b.room.get(pub)?.lifetimeMs, 0, 'a public channel has no owner')
  t.equal(b.rejected.length, 3)
})

t.test('lifetime: the owner sets it, members apply it to posts; disappearing posts leave history', async t => {
  const c = clock(T0)
  const [o, b] = [await member(alice, c), await member(bob, c)]
  const { id, key } = newPrivateChannel()
  const chan = toHex(id)
  const inv = { id: chan, name: 'p', kind: 'private' as const, owner: o.me, keys: { 0: toHex(key) }, epoch: 0 }
  await o.room.join(inv)
  await b.room.join(inv)
  await t.rejects(b.room.setLifetime(chan, 1000), /only the owner/)
  const l = await o.room.setLifetime(chan, 10_000)
  await deliver(b, l.control)
  t.equal(b.room.get(chan)?.lifetimeMs, 10_000)
  const p = await o.room.post(chan, { text: 'short-lived' })
  t.equal(valid(p.bytes).body.expires - valid(p.bytes).body.created, 10_000, 'the envelope expires with the channel lifetime')
  await deliver(b, p.bytes)
  t.equal(b.history.get(p.id)?.deleteAt, T0 + 10_000)
  c.add(1) // a later post (the author's clock moves on)
  const q = await o.room.post(chan, { text: 'timer' }, { ttlMs: 3000 })
  await deliver(b, q.bytes)
  t.equal(b.history.get(q.id)?.deleteAt, T0 + 1 + 3000, 'a post\'s own timer wins')
  c.add(3000)
  t.equal(await b.mail.expireHistory(), 1)
  t.equal(b.history.has(q.id), false)
  t.equal(b.history.has(p.id), true)
  c.add(6999)
  t.equal(await b.mail.expireHistory(), 1)
  t.equal(b.history.has(p.id), false)
  // A post whose timer already ran out when it arrives is not written at all.
  const r = await o.room.post(chan, { text: 'gone' }, { ttlMs: 1000 })
  c.add(2000)
  const others = await member(carol, c)
  await others.room.join(inv)
  await deliver(others, r.bytes)
  t.equal(others.history.has(r.id), false)
})

t.test('edits and deletes apply only when signed by the author; reactions by anyone in the channel; mute hides an author', async t => {
  const c = clock(T0)
  const [a, b, m] = [await member(alice, c), await member(bob, c), await member(mallory, c)]
  const chan = toHex(publicChannelId('#t3'))
  for (const x of [a, b, m]) await publicJoin(x, '#t3')
  const p = await a.room.post(chan, { text: 'original' })
  await deliver(b, p.bytes)
  const ref = fromHex(p.id)
  const edit = await m.room.post(chan, { type: ContentType.EDIT, ref, text: 'forged' })
  const del = await m.room.post(chan, { type: ContentType.DELETE, ref })
  await deliver(b, edit.bytes)
  await deliver(b, del.bytes)
  t.equal(b.history.get(p.id)?.text, 'original', 'an edit by someone else is ignored')
  t.notOk(b.history.get(p.id)?.deleted, 'a delete by someone else is ignored')
  const react = await m.room.post(chan, { type: ContentType.REACTION, ref, emoji: '👍' })
  await deliver(b, react.bytes)
  t.same(b.history.get(p.id)?.reactions, { [m.me]: '👍' })
  // The same kind of action sent in a sealed DIRECT message is about another conversation: ignored.
  const dm = await m.mail.send(bob.publicKey, { type: ContentType.REACTION, ref, emoji: '💩' })
  t.equal(await deliver(b, dm.signed.bytes), 'delivered')
  const dmEdit = await a.mail.send(bob.publicKey, { type: ContentType.EDIT, ref, text: 'edited by DM' })
  t.equal(await deliver(b, dmEdit.signed.bytes), 'delivered')
  t.same(b.history.get(p.id)?.reactions, { [m.me]: '👍' }, 'a reaction by direct message to a channel post is ignored')
  t.equal(b.history.get(p.id)?.text, 'original', 'so is an edit by direct message, even by the author')
  const own = await a.room.post(chan, { type: ContentType.EDIT, ref, text: 'fixed' })
  await deliver(b, own.bytes)
  t.equal(b.history.get(p.id)?.text, 'fixed')
  t.equal(b.history.get(p.id)?.edited, true)
  await b.room.mute(chan, m.me, true)
  const muted = await m.room.post(chan, { text: 'spam' })
  await deliver(b, muted.bytes)
  t.equal(b.history.has(muted.id), false, 'a muted author\'s posts are not shown')
  await b.room.mute(chan, m.me, false)
  t.same(b.room.get(chan)?.muted, [])
})

t.test('channel state survives a reopen; leave forgets the channel and stops opening its posts', async t => {
  const c = clock(T0)
  const dir = tempDir()
  const b = await member(bob, c, dir)
  const a = await member(alice, c)
  const chan = toHex(publicChannelId('#t4'))
  await publicJoin(a, '#t4')
  await publicJoin(b, '#t4')
  await b.room.mute(chan, toHex(mallory.publicKey), true)
  await b.stores.db.close()
  const again = await member(bob, c, dir)
  const s = again.room.get(chan)
  t.equal(s?.name, '#t4')
  t.same(s?.muted, [toHex(mallory.publicKey)])
  t.equal(again.room.byName('#t4')?.id, chan)
  await again.room.leave(chan)
  t.equal(again.room.has(chan), false)
  const p = await a.room.post(chan, { text: 'after leaving' })
  t.equal(await deliver(again, p.bytes), 'held', 'still carried, as any relay would')
  t.equal(again.history.has(p.id), false, 'but not opened')
  await t.rejects(again.room.post(chan, { text: 'x' }), /not a member/)
})
