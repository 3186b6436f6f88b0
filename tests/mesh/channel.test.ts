/**
 * mesh/channel.ts: channel names, public ids and keys (fixed vectors),
 * post sealing round trip, wrong key / epoch / tampered header, and the
 * limits readControl enforces on CONTROL payloads.
 */
import t from 'tap'
import {
  normalizeChannelName, publicChannelId, publicChannelKey, newPrivateChannel, makePost, openPost, postEpoch,
  makeControl, readControl, channelAad, ChannelBox, ChannelControl
} from '../../mesh/channel.js'
import { validateEnvelope, signEnvelope, toHex, Kind, Priority, type ValidEnvelope } from '../../mesh/envelope.js'
import { encodeContent, decodeContent, ContentType } from '../../mesh/content.js'
import { identityFromSeed } from '../../node/identity.js'

const alice = identityFromSeed(new Uint8Array(32).fill(1))
const bob = identityFromSeed(new Uint8Array(32).fill(2))
const NOW = 1_790_000_000_000

function valid (bytes: Uint8Array): ValidEnvelope {
  const v = validateEnvelope(bytes, { now: NOW })
  if (v.code !== 'valid') throw new Error(`invalid: ${v.reason}`)
  return v
}

t.test('names normalise; bad names are refused with InvalidKeyError', async t => {
  t.equal(normalizeChannelName('#Freifunk-Berlin'), 'freifunk-berlin')
  t.equal(normalizeChannelName('  freifunk-berlin '), 'freifunk-berlin')
  t.equal(normalizeChannelName('a.b_c-1'), 'a.b_c-1')
  t.equal(normalizeChannelName('x'.repeat(64)), 'x'.repeat(64))
  for (const bad of ['', '#', '-lead', 'two words', 'ümlaut', 'x'.repeat(65), '##double', 'a/b']) {
    t.throws(() => normalizeChannelName(bad), { name: 'InvalidKeyError' }, JSON.stringify(bad))
  }
})

t.test('public channel id and key: fixed vectors, the same for every spelling of the name', async t => {
  // sha256("funkpost/channel/v1/public-id\n" || name), sha256("funkpost/channel/v1/public-key\n" || name)
  t.equal(toHex(publicChannelId('#freifunk-berlin')), 'dd0a6dae859f061b8cd02d8ae77723cc62fc4558c351431896f87357f55d6552')
  t.equal(toHex(publicChannelKey('#freifunk-berlin')), '4a1d3452f711a5f9179a7c8f917269df44f70ba0ee83d97483cb569512a8e571')
  t.same(publicChannelId('FREIFUNK-berlin'), publicChannelId('#freifunk-berlin'))
  t.notSame(publicChannelId('#freifunk-berlin'), publicChannelKey('#freifunk-berlin'), 'id and key differ (domain tags)')
  t.notSame(publicChannelId('#a'), publicChannelId('#b'))
  const p1 = newPrivateChannel()
  const p2 = newPrivateChannel()
  t.equal(p1.id.length, 32)
  t.equal(p1.key.length, 32)
  t.notSame(p1.id, p2.id, 'private ids are random')
  t.notSame(p1.key, p2.key, 'private keys are random')
})

t.test('a post opens with its key and decodes to the content; the relay-visible payload holds no plaintext', async t => {
  const { id, key } = newPrivateChannel()
  const text = 'meet at the water tower'
  const s = makePost({ seed: alice.seed, from: alice.publicKey, channelId: id, key, epoch: 3, content: encodeContent({ text }), created: NOW, expires: NOW + 60_000 })
  const v = valid(s.bytes)
  t.equal(v.body.kind, Kind.CHANNEL)
  t.same(v.body.to, id, 'addressed to the channel id')
  t.equal(v.body.priority, Priority.NORMAL)
  t.equal(postEpoch(v), 3)
  t.equal(Buffer.from(s.bytes).includes(Buffer.from(text)), false, 'no plaintext on the wire')
  const c = decodeContent(openPost(v, key))
  t.equal(c.type, ContentType.TEXT)
  t.equal(c.text, text)
})

t.test('wrong key, wrong epoch key, or a header that does not match: OpenFailedError', async t => {
  const { id, key } = newPrivateChannel()
  const s = makePost({ seed: alice.seed, from: alice.publicKey, channelId: id, key, epoch: 0, content: encodeContent({ text: 'x' }), created: NOW, expires: NOW + 60_000 })
  const v = valid(s.bytes)
  t.throws(() => openPost(v, newPrivateChannel().key), { name: 'OpenFailedError' }, 'another key')
  // A box lifted into a post by someone else (other author) does not open: the author is in the associated data.
  const box = ChannelBox.decode(v.body.payload)
  const lifted = valid(signEnvelope(bob.seed, { kind: Kind.CHANNEL, from: bob.publicKey, to: id, created: NOW, expires: NOW + 60_000, priority: Priority.NORMAL, payload: ChannelBox.encode(box) }).bytes)
  t.throws(() => openPost(lifted, key), { name: 'OpenFailedError' }, 'box re-signed by another author')
  const retimed = valid(signEnvelope(alice.seed, { kind: Kind.CHANNEL, from: alice.publicKey, to: id, created: NOW + 1, expires: NOW + 60_000, priority: Priority.NORMAL, payload: ChannelBox.encode(box) }).bytes)
  t.throws(() => openPost(retimed, key), { name: 'OpenFailedError' }, 'box moved to another time')
  const other = newPrivateChannel().id
  const moved = valid(signEnvelope(alice.seed, { kind: Kind.CHANNEL, from: alice.publicKey, to: other, created: NOW, expires: NOW + 60_000, priority: Priority.NORMAL, payload: ChannelBox.encode(box) }).bytes)
  t.throws(() => openPost(moved, key), { name: 'OpenFailedError' }, 'box moved to another channel')
  const junk = valid(signEnvelope(alice.seed, { kind: Kind.CHANNEL, from: alice.publicKey, to: id, created: NOW, expires: NOW + 60_000, priority: Priority.NORMAL, payload: new Uint8Array([0xff, 0xff, 0xff]) }).bytes)
  t.equal(postEpoch(junk), undefined, 'a payload that is no ChannelBox has no epoch')
  t.throws(() => openPost(junk, key), { name: 'OpenFailedError' })
  // epoch 1 key for an epoch 0 post
  const next = newPrivateChannel().key
  t.throws(() => openPost(v, next), { name: 'OpenFailedError' }, 'the next epoch\'s key does not open an older post')
})

t.test('channel associated data is channel id ‖ author ‖ created ‖ expires', async t => {
  const aad = channelAad(new Uint8Array(32).fill(7), new Uint8Array(32).fill(8), 1, 2)
  t.equal(aad.length, 80)
  t.equal(aad[0], 7)
  t.equal(aad[32], 8)
  t.equal(aad[71], 1)
  t.equal(aad[79], 2)
})

t.test('control envelopes: signed by the owner, CRITICAL, read back; readControl refuses over-limit fields', async t => {
  const { id } = newPrivateChannel()
  const c = makeControl(alice.seed, alice.publicKey, id, { action: ChannelControl.Action.REMOVE, member: bob.publicKey, epoch: 2 }, NOW, NOW + 60_000)
  const v = valid(c.bytes)
  t.equal(v.body.kind, Kind.CONTROL)
  t.equal(v.body.priority, Priority.CRITICAL)
  const r = readControl(v)
  t.equal(r?.action, ChannelControl.Action.REMOVE)
  t.same(r?.member, bob.publicKey)
  t.equal(r?.epoch, 2)
  const life = readControl(valid(makeControl(alice.seed, alice.publicKey, id, { action: ChannelControl.Action.LIFETIME, lifetimeMs: 3_600_000 }, NOW, NOW + 60_000).bytes))
  t.equal(life?.lifetimeMs, 3_600_000)

  const raw = (payload: Uint8Array, kind = Kind.CONTROL): ValidEnvelope => valid(signEnvelope(alice.seed, { kind, from: alice.publicKey, to: id, created: NOW, expires: NOW + 60_000, priority: Priority.CRITICAL, payload }).bytes)
  const enc = (o: Partial<ChannelControl>): Uint8Array => ChannelControl.encode({ action: ChannelControl.Action.REMOVE, member: new Uint8Array(0), epoch: 0, lifetimeMs: 0, name: '', ...o })
  t.equal(readControl(raw(enc({ member: new Uint8Array(31) }))), undefined, 'member of 31 bytes')
  t.equal(readControl(raw(enc({ member: new Uint8Array(33) }))), undefined, 'member of 33 bytes')
  t.equal(readControl(raw(enc({ name: 'n'.repeat(65) }))), undefined, 'name over 64')
  t.ok(readControl(raw(enc({ name: 'n'.repeat(64) }))) !== undefined, 'name of 64 is fine')
  t.equal(readControl(raw(new Uint8Array([0x12, 0xff]))), undefined, 'truncated protobuf')
  t.equal(readControl(raw(new Uint8Array([0x12, 0x05, 1, 2, 3, 4, 5]))), undefined, 'hand-encoded member of 5 bytes')
  t.equal(readControl(raw(new Uint8Array([0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]))), undefined, 'varint over 10 bytes')
  t.equal(readControl(raw(enc({}), Kind.CHANNEL)), undefined, 'not a CONTROL envelope')
})
