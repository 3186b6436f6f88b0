import t from 'tap'
import path from 'node:path'
import { Mailroom, type ReceiveResult } from '../../store-forward/mailroom.js'
import { EnvelopeStore } from '../../store-forward/envelopes.js'
import { Outbox } from '../../store-forward/outbox.js'
import { History, type HistoryEntry } from '../../store-forward/history.js'
import { openStores, type Stores } from '../../store-forward/db.js'
import { validateEnvelope, type ValidEnvelope } from '../../mesh/envelope.js'
import type { Identity } from '../../node/identity.js'
import { ident, make, ack, tempDir, Kind } from './helpers.js'
import { ContentType } from '../../mesh/content.js'

const LIMITS = { custodyBytes: 1e8, custodyPerAuthorBytes: 1e7, custodyPerRecipientBytes: 1e7 }

interface Room { room: Mailroom, stores: Stores, messages: HistoryEntry[], delivered: HistoryEntry[], dir: string }

async function room (id: Identity, dir = tempDir()): Promise<Room> {
  const stores = await openStores(path.join(dir, 'db'))
  t.teardown(async () => stores.db.close().catch(() => {}))
  const room = new Mailroom({
    identity: id, stores, envelopes: await EnvelopeStore.open(stores, LIMITS), outbox: await Outbox.open(stores), history: await History.open(stores)
  })
  const r: Room = { room, stores, messages: [], delivered: [], dir }
  room.on('message', e => r.messages.push(e))
  room.on('delivered', e => r.delivered.push(e))
  return r
}

function valid (bytes: Uint8Array): ValidEnvelope {
  const v = validateEnvelope(bytes)
  if (v.code !== 'valid') throw new Error(`invalid test envelope: ${v.reason}`)
  return v
}

const alice = ident(11)
const bob = ident(12)
const mallory = ident(13)

t.test('a repeated DIRECT gets the same ACK and no second history entry, also after a restart', async t => {
  const a = await room(alice)
  const b = await room(bob)
  const { id, signed } = await a.room.send(bob.publicKey, { text: 'hello bob' })
  const v = valid(signed.bytes)
  const first = await b.room.receive(v, signed.bytes, 'gossip')
  t.equal(first.code, 'delivered')
  t.ok(first.ack !== undefined && first.fresh)
  const ackV = valid(first.ack!)
  t.equal(ackV.body.kind, Kind.ACK)
  t.same(Buffer.from(ackV.body.ref).toString('hex'), id, 'the ACK names the message')
  t.same(Buffer.from(ackV.body.from), Buffer.from(bob.publicKey), 'signed by the recipient')
  const again = await b.room.receive(v, signed.bytes, 'sync')
  t.equal(again.code, 'duplicate')
  t.same(Buffer.from(again.ack!), Buffer.from(first.ack!), 'the same ACK again')
  t.equal(b.room.history.size, 1)
  t.equal(b.messages.length, 1)
  t.equal(b.messages[0].text, 'hello bob')

  await b.stores.db.close()
  const b2 = await room(bob, b.dir)
  const later = await b2.room.receive(v, signed.bytes, 'deliver')
  t.equal(later.code, 'duplicate')
  t.same(Buffer.from(later.ack!), Buffer.from(first.ack!), 'the same ACK after a restart')
  t.equal(b2.room.history.size, 1)
  t.equal(b2.messages.length, 0)
})

t.test('the same DIRECT arriving on several paths at once is opened once', async t => {
  const a = await room(alice)
  const b = await room(bob)
  const { signed } = await a.room.send(bob.publicKey, { text: 'race' })
  const v = valid(signed.bytes)
  const rs: ReceiveResult[] = await Promise.all([b.room.receive(v, signed.bytes, 'gossip'), b.room.receive(v, signed.bytes, 'sync'), b.room.receive(v, signed.bytes, 'deliver')])
  t.same(rs.map(r => r.code).sort(), ['delivered', 'duplicate', 'duplicate'])
  t.equal(b.messages.length, 1)
  t.same(new Set(rs.map(r => Buffer.from(r.ack!).toString('hex'))).size, 1, 'one ACK')
  t.equal(b.room.envelopes.stats().count, 1, 'only the ACK is kept')
})

t.test('the ACK clears the outbox entry and marks the message delivered; a forged one does not', async t => {
  const a = await room(alice)
  const b = await room(bob)
  const outboxEvents: string[] = []
  a.room.on('outbox', e => outboxEvents.push(e.change))
  const { id, signed } = await a.room.send(bob.publicKey, { text: 'ack me' })
  t.ok(a.room.outbox.has(id))
  t.equal(a.room.history.get(id)?.status, 'queued')
  const forged = ack(mallory, alice.publicKey, id, { created: Date.now(), expires: Date.now() + 60_000 })
  await a.room.receive(forged.v, forged.bytes, 'gossip')
  t.ok(a.room.outbox.has(id), 'an ACK by someone else leaves the outbox alone')
  t.equal(a.room.history.get(id)?.status, 'queued')
  t.ok(a.room.envelopes.has(id), 'and the envelope')

  const r = await b.room.receive(valid(signed.bytes), signed.bytes, 'deliver')
  const got = await a.room.receive(valid(r.ack!), r.ack!, 'deliver')
  t.equal(got.code, 'acked')
  t.notOk(a.room.outbox.has(id), 'outbox entry gone')
  t.equal(a.room.history.get(id)?.status, 'delivered')
  t.equal(a.delivered.length, 1)
  t.same(outboxEvents, ['added', 'removed'])
  t.notOk(a.room.envelopes.has(id), 'own copy dropped')
  t.ok(a.room.envelopes.isTombstoned(id, a.room.envelopes.getMeta(Buffer.from(valid(r.ack!).id).toString('hex'))?.from), 'tombstoned')
  t.equal((await a.room.receive(valid(r.ack!), r.ack!, 'gossip')).code, 'duplicate', 'the ACK twice: nothing more happens')
  t.equal(a.delivered.length, 1)
})

t.test('an undecryptable DIRECT to me is not ACKed and leaves no trace', async t => {
  const b = await room(bob)
  const junk = make(alice, bob.publicKey, { created: Date.now(), expires: Date.now() + 60_000, payload: 300, n: 7 })
  const r = await b.room.receive(junk.v, junk.bytes, 'gossip')
  t.equal(r.code, 'undecryptable')
  t.equal(r.ack, undefined)
  t.notOk(r.fresh, 'not passed on')
  t.equal(b.room.history.size, 0)
  t.notOk(b.room.envelopes.isTombstoned(junk.id))
  t.equal(b.room.envelopes.stats().count, 0)
})

t.test('a forged ACK that arrives first does not hide a message from its recipient', async t => {
  const a = await room(alice)
  const b = await room(bob)
  const { id, signed } = await a.room.send(bob.publicKey, { text: 'not censored' })
  const forged = ack(mallory, alice.publicKey, id, { created: Date.now(), expires: Date.now() + 60_000 })
  await b.room.receive(forged.v, forged.bytes, 'gossip')
  t.notOk(b.room.envelopes.isTombstoned(id), 'an unverified tombstone does not count as delivered')
  const r = await b.room.receive(valid(signed.bytes), signed.bytes, 'gossip')
  t.equal(r.code, 'delivered')
  t.equal(b.messages.length, 1)
})

t.test('a relay holds mail for others and drops it on the recipient\'s ACK', async t => {
  const a = await room(alice)
  const b = await room(bob)
  const relay = await room(mallory)
  const { id, signed } = await a.room.send(bob.publicKey, { text: 'via relay' })
  const held = await relay.room.receive(valid(signed.bytes), signed.bytes, 'sync')
  t.same([held.code, held.fresh], ['held', true])
  t.equal(relay.room.envelopes.getMeta(id)?.hops, 1, 'hops counted on a store-and-forward hand-over')
  t.same(Buffer.from(held.stored!), Buffer.from((await relay.room.envelopes.get(id))!), 'the result carries the bytes as held (for re-gossip)')
  t.equal((await relay.room.receive(valid(signed.bytes), signed.bytes, 'gossip')).code, 'duplicate')
  const r = await b.room.receive(valid(signed.bytes), signed.bytes, 'gossip')
  const ackR = await relay.room.receive(valid(r.ack!), r.ack!, 'gossip')
  t.same([ackR.code, ackR.fresh], ['acked', true], 'the ACK is new here and passed on')
  t.notOk(relay.room.envelopes.has(id), 'custody dropped')
  t.ok(relay.room.envelopes.isTombstoned(id))
  t.equal((await relay.room.receive(valid(signed.bytes), signed.bytes, 'sync')).code, 'tombstoned', 'not resurrected')
  t.equal(relay.room.history.size, 0, 'a relay keeps no history of others\' mail')
})

t.test('a full outbox refuses new mail with QuotaExceededError and keeps what it has', async t => {
  const dir = tempDir()
  const stores = await openStores(path.join(dir, 'db'))
  t.teardown(async () => stores.db.close().catch(() => {}))
  const room = new Mailroom({
    identity: alice, stores, envelopes: await EnvelopeStore.open(stores, LIMITS), outbox: await Outbox.open(stores), history: await History.open(stores), outboxMax: 3
  })
  for (let i = 0; i < 3; i++) await room.send(bob.publicKey, { text: `m${i}` })
  await t.rejects(room.send(bob.publicKey, { text: 'one too many' }), { name: 'QuotaExceededError', message: /outbox is full/ })
  t.equal(room.outbox.size, 3, 'nothing lost, nothing added')
  t.equal(room.history.size, 3)
})

t.test('mail to me from a blocked author is never shown, not even after an unblock', async t => {
  let blocked = true
  const dir = tempDir()
  const stores = await openStores(path.join(dir, 'db'))
  t.teardown(async () => stores.db.close().catch(() => {}))
  const room = new Mailroom({
    identity: alice, stores, envelopes: await EnvelopeStore.open(stores, LIMITS), outbox: await Outbox.open(stores), history: await History.open(stores),
    isBlocked: (k) => blocked && k === Buffer.from(mallory.publicKey).toString('hex')
  })
  const m = (await room2(mallory)).room
  const first = (await m.send(alice.publicKey, { text: 'let me in' })).signed
  t.equal((await room.receive(valid(first.bytes), first.bytes, 'gossip')).code, 'blocked')
  blocked = false
  const again = await room.receive(valid(first.bytes), first.bytes, 'sync')
  t.not(again.code, 'delivered', 'the retried copy is not delivered after the unblock')
  t.equal(room.history.size, 0)
  const fresh = (await m.send(alice.publicKey, { text: 'new after unblock' })).signed
  t.equal((await room.receive(valid(fresh.bytes), fresh.bytes, 'gossip')).code, 'delivered', 'new mail after the unblock arrives')
})

async function room2 (id: Identity): Promise<Room> { return room(id) }

t.test('the ACK rows of non-text receipts are bounded: answered again while the original lives, swept after it expired', async t => {
  let now = Date.now()
  const clockNow = (): number => now
  const dir = tempDir()
  const stores = await openStores(path.join(dir, 'db'))
  t.teardown(async () => stores.db.close().catch(() => {}))
  const b = new Mailroom({
    identity: bob, stores, envelopes: await EnvelopeStore.open(stores, LIMITS, clockNow), outbox: await Outbox.open(stores, { now: clockNow }), history: await History.open(stores), now: clockNow
  })
  const a = await room(alice)
  const text = await a.room.send(bob.publicKey, { text: 'hi' })
  await b.receive(valid(text.signed.bytes), text.signed.bytes, 'gossip')
  const reaction = await a.room.send(bob.publicKey, { type: ContentType.REACTION, ref: text.signed.id, emoji: '👍' }, { lifetimeMs: 60_000 })
  const v = valid(reaction.signed.bytes)
  const first = await b.receive(v, reaction.signed.bytes, 'gossip')
  t.equal(first.code, 'delivered')
  const rows = async (): Promise<string[]> => { const out: string[] = []; for await (const k of stores.kv.keys({ gte: 'ack:', lt: 'ack;' })) out.push(k); return out }
  t.same(await rows(), [`ack:${reaction.id}`], 'one row for the reaction (a text message keeps its ACK id in history)')
  t.same(Buffer.from((await b.receive(v, reaction.signed.bytes, 'sync')).ack!), Buffer.from(first.ack!), 'a repeat gets the same ACK')
  t.equal(await b.expireAcks(), 0, 'kept while the original can still arrive')
  now += 61_000
  t.equal(await b.expireAcks(), 1, 'swept once the original expired')
  t.same(await rows(), [])
  await stores.kv.put(`ack:${'ab'.repeat(32)}`, 'cd'.repeat(32))
  t.equal(await b.expireAcks(), 1, 'a row from before expiries were kept goes once its ACK is no longer held')
})
