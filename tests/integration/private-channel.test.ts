/**
 * A private channel on real nodes, driven through the control API handlers
 * (create, invite, join by link, send, read, remove, act): the owner O and
 * members B and C reach each other only through a relay R that has no key.
 * R carries the posts but its LevelDB holds no plaintext; removing C
 * rotates the key, B gets the new key in a sealed DIRECT and reads on, C
 * cannot open what follows; forged owner actions and edits/deletes by
 * someone other than the author change nothing.
 */
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import crypto from 'node:crypto'
import { startNode, link, waitFor, meshReady, stopAll, sleep } from './helpers.js'
import { makeContext, type ApiContext } from '../../node/api.js'
import { channelHandlers } from '../../node/api-channels.js'
import { channelTopic } from '../../mesh/gossip.js'
import { makeControl, openPost, ChannelControl } from '../../mesh/channel.js'
import { validateEnvelope, toHex, fromHex } from '../../mesh/envelope.js'
import { identityFromSeed } from '../../node/identity.js'
import { makeInvite, parseInvite } from '../../node/invite.js'
import type { FunkpostNode } from '../../node/node.js'

type Row = { id: string, from: string, text: string, at: string }

const call = async <T = any>(ctx: ApiContext, method: string, params: Record<string, unknown>): Promise<T> => channelHandlers[method](ctx, params) as Promise<T> // eslint-disable-line @typescript-eslint/no-explicit-any

/** Resolves when `node` has finished receiving envelope `id` (the mailroom and the channel room are done with it). */
function received (node: FunkpostNode, id: string, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { node.off('received', on); reject(new Error(`${node.name} did not receive ${id.slice(0, 12)} in ${timeoutMs} ms`)) }, timeoutMs)
    const on = (e: { id: string }): void => { if (e.id === id) { clearTimeout(timer); node.off('received', on); resolve() } }
    node.on('received', on)
  })
}

t.test('private channel: relay without key, removal with key rotation, forged owner actions and edits', async t => {
  const [o, r, b, c] = [await startNode({ name: 'o' }), await startNode({ name: 'r' }), await startNode({ name: 'b' }), await startNode({ name: 'c' })]
  const nodes = [o, r, b, c]
  t.teardown(() => stopAll(nodes))
  for (const n of [o, b, c]) await link(n, r)
  await meshReady(nodes)
  const [co, cb, cc] = [await makeContext(o), await makeContext(b), await makeContext(c)]
  const onlyViaR = (): boolean => [b, c].every(n => n.libp2p.getConnections(o.libp2p.peerId).length === 0)

  const created = await call(co, 'channel.create', { name: 'orga' })
  t.equal(created.kind, 'private')
  t.equal(created.owner, o.id)
  const chan: string = created.id
  const { link: made } = await call(co, 'channel.invite', { name: 'orga' })
  t.match(made, /^funkpost:\/\/invite\?/)
  // Without the owner's addresses, so joining does not dial O: B and C reach O only through R.
  const invite = makeInvite({ ...parseInvite(made), addrs: [] })
  t.equal((await call(cb, 'channel.join', { target: invite })).name, 'orga')
  t.equal((await call(cc, 'channel.join', { target: invite })).name, 'orga')
  await waitFor('the owner sees both members join', () => o.channels.get(chan)?.members.length === 2, 15_000)
  await waitFor('every member has the topic mesh through R', () => [o, b, c].every(n => n.libp2p.services.pubsub.getSubscribers(channelTopic(fromHex(chan))).length >= 1))
  await sleep(1200)

  const tag = crypto.randomBytes(6).toString('hex')
  const before = [`plan-A-${tag}`, `plan-B-${tag}`, `plan-C-${tag}`]
  await call(co, 'channel.send', { name: 'orga', text: before[0] })
  await sleep(20)
  await call(cb, 'channel.send', { name: 'orga', text: before[1] })
  await sleep(20)
  await call(cc, 'channel.send', { name: 'orga', text: before[2] })
  for (const [ctx, n] of [[co, o], [cb, b], [cc, c]] as const) {
    const rows = await waitFor(`${n.name} reads the three posts`, async () => {
      const x: Row[] = (await call(ctx, 'channel.read', { name: 'orga' })).filter((y: Row) => y.text !== '(joined)')
      return x.length >= 3 ? x : undefined
    }, 15_000)
    t.same(rows.map(x => x.text), before, `${n.name} reads them in order`)
    t.same(Object.keys(rows[0]).sort(), ['at', 'from', 'id', 'text'], 'channel.read rows are {id, from, text, at}')
  }
  t.equal(r.history.size, 0, 'the relay has no history')
  t.ok(onlyViaR(), 'B and C are not connected to O')
  t.equal(r.channels.has(chan), false)

  // Remove C: the key rotates; B gets the new key from O in a sealed DIRECT.
  const removed = await call(co, 'channel.remove', { name: 'orga', member: c.id })
  t.same({ epoch: removed.epoch, notified: removed.notified }, { epoch: 1, notified: 1 })
  await waitFor('B gets the key of epoch 1', () => b.channels.get(chan)?.keys['1'] !== undefined, 15_000)
  t.equal(b.channels.get(chan)?.keys['1'], o.channels.get(chan)?.keys['1'], 'B has the owner\'s new key')
  await waitFor('C learns it was removed', () => c.channels.get(chan)?.removed[c.mailroom.me] === 1)
  t.equal(c.channels.get(chan)?.keys['1'], undefined, 'C has no new key')

  const after = `after-removal-${tag}`
  const afterId = await o.channelPost(chan, { text: after })
  const cGets = received(c, afterId)
  await waitFor('B reads the post after the rotation', () => b.history.get(afterId)?.text === after, 15_000)
  await cGets
  t.equal(c.history.has(afterId), false, 'C has no history entry for it')
  t.ok(c.envelopes.has(afterId), 'C\'s node holds it (as any relay would)')
  const held = validateEnvelope((await c.envelopes.get(afterId))!)
  if (held.code !== 'valid') throw new Error('held envelope is invalid')
  t.throws(() => openPost(held, fromHex(c.channels.get(chan)!.keys['0'])), { name: 'OpenFailedError' }, 'C\'s old key does not open it')
  const bAfter = await b.channelPost(chan, { text: `b-after-${tag}` })
  await waitFor('O reads B\'s new post', () => o.history.has(bAfter), 15_000)
  await t.rejects(call(cc, 'channel.send', { name: 'orga', text: 'c still here?' }), /you were removed from orga/, 'C cannot post any more')

  // A forged owner action: a REMOVE of B signed by C, published on the channel topic and injected locally.
  const stateB = JSON.stringify(b.channels.get(chan))
  const stateO = JSON.stringify(o.channels.get(chan))
  const rejectedB: string[] = []
  const rejectedO: string[] = []
  b.channels.on('rejected', e => rejectedB.push(e.reason))
  o.channels.on('rejected', e => rejectedO.push(e.reason))
  const forged = makeControl(c.identity.seed, c.identity.publicKey, fromHex(chan), { action: ChannelControl.Action.REMOVE, member: b.identity.publicKey, epoch: 2 }, Date.now(), Date.now() + 60_000)
  const fid = toHex(forged.id)
  const arrives = [received(o, fid), received(b, fid)]
  await c.gossip.publish(channelTopic(fromHex(chan)), forged.bytes, forged.id)
  await Promise.all(arrives)
  t.ok(rejectedB.includes('control not signed by the owner'), 'B rejects it')
  t.ok(rejectedO.includes('control not signed by the owner'), 'O rejects it')
  const mallory = identityFromSeed(new Uint8Array(crypto.randomBytes(32)))
  const local = makeControl(mallory.seed, mallory.publicKey, fromHex(chan), { action: ChannelControl.Action.LIFETIME, lifetimeMs: 1000 }, Date.now(), Date.now() + 60_000)
  await b.receiveBytes(local.bytes, 'local')
  t.equal(rejectedB.filter(x => x === 'control not signed by the owner').length, 2, 'a forged LIFETIME injected locally is rejected too')
  t.equal(JSON.stringify(b.channels.get(chan)), stateB, 'B\'s channel state is unchanged')
  t.equal(JSON.stringify(o.channels.get(chan)), stateO, 'O\'s channel state is unchanged')

  // Edits and deletes by someone other than the author: ignored everywhere.
  const target = o.history.list({ conv: 'channel', peer: chan }).find(e => e.text === before[0])!
  const edit = await call(cb, 'channel.act', { name: 'orga', kind: 'edit', ref: target.id, text: 'forged edit' })
  const del = await call(cb, 'channel.act', { name: 'orga', kind: 'delete', ref: target.id })
  await Promise.all([received(o, edit.id), received(o, del.id)])
  for (const n of [o, b]) {
    t.equal(n.history.get(target.id)?.text, before[0], `${n.name}: text unchanged`)
    t.notOk(n.history.get(target.id)?.deleted, `${n.name}: not deleted`)
    t.notOk(n.history.get(target.id)?.edited, `${n.name}: not edited`)
  }
  // …while the author's own edit does apply (the path works).
  const own = await call(co, 'channel.act', { name: 'orga', kind: 'edit', ref: target.id, text: 'plan A, revised' })
  await received(b, own.id)
  t.equal(b.history.get(target.id)?.text, 'plan A, revised')
  t.equal(b.history.get(target.id)?.edited, true)

  t.ok(onlyViaR(), 'B and C are still not connected to O')
  // The relay held everything it passed on, and none of it in plaintext.
  t.ok(r.envelopes.has(afterId), 'R held the post in custody')
  await r.stop()
  const dir = path.join(r.init.home, 'db')
  const blob = Buffer.concat(fs.readdirSync(dir).map(f => fs.readFileSync(path.join(dir, f))))
  t.ok(blob.length > 0)
  for (const s of [...before, after, `b-after-${tag}`, 'plan A, revised', tag]) t.equal(blob.includes(Buffer.from(s)), false, `no "${s}" in R's LevelDB files`)
})
