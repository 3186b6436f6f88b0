import t from 'tap'
import crypto from 'node:crypto'
import { startNode, link, waitFor, meshReady, stopAll, tempHome } from './helpers.js'
import { identityFromSeed } from '../../node/identity.js'
import type { FunkpostNode } from '../../node/node.js'
import type { HistoryEntry } from '../../store-forward/history.js'

t.test('away: A writes to C while C is offline, leaves; C comes back next to B only and gets it once; A returns and sees it delivered', async t => {
  const live: FunkpostNode[] = []
  t.teardown(() => stopAll(live))
  const seeds = { a: crypto.randomBytes(32), c: crypto.randomBytes(32) }
  const homes = { a: tempHome('fp-a-'), c: tempHome('fp-c-') }
  const cId = identityFromSeed(new Uint8Array(seeds.c)).id

  // C has been here before (its store exists) but is offline now.
  const c0 = await startNode({ name: 'c', home: homes.c, seed: seeds.c })
  await c0.stop()

  let a = await startNode({ name: 'a', home: homes.a, seed: seeds.a })
  const b = await startNode({ name: 'b' })
  live.push(a, b)
  await link(a, b)
  await meshReady([a, b])

  const text = 'while you were out ' + crypto.randomBytes(4).toString('hex')
  const id = await a.send(cId, text)
  await waitFor('B holds the mail for C', () => b.envelopes.has(id))
  t.equal(b.envelopes.getMeta(id)?.role, 'custody')
  await waitFor('A marks it sent', () => a.history.get(id)?.status === 'sent')
  await new Promise(resolve => setTimeout(resolve, 300))
  t.equal(a.history.get(id)?.status, 'sent', 'handed to a relay, not delivered')
  t.equal(a.outbox.size, 1)

  await a.stop()
  live.splice(live.indexOf(a), 1)

  const c = await startNode({ name: 'c', home: homes.c, seed: seeds.c })
  live.push(c)
  t.equal(c.id, cId, 'same identity, same home')
  const got: HistoryEntry[] = []
  c.on('message', e => got.push(e))
  await link(c, b)
  t.equal(c.libp2p.getPeers().length, 1, 'C is connected to B only')
  await waitFor('C receives the message', () => got.length > 0)
  t.equal(got[0].text, text)
  t.equal(got[0].from, a.mailroom.me)
  await waitFor('B drops custody on C\'s ACK', () => !b.envelopes.has(id) && b.envelopes.isTombstoned(id))

  a = await startNode({ name: 'a', home: homes.a, seed: seeds.a })
  live.push(a)
  t.equal(a.outbox.size, 1, 'A\'s outbox survived the restart')
  t.equal(a.history.get(id)?.status, 'sent')
  await link(a, b)
  await waitFor('A learns it was delivered', () => a.history.get(id)?.status === 'delivered')
  await waitFor('A\'s outbox clears', () => a.outbox.size === 0)
  t.notOk(a.envelopes.has(id), 'A no longer keeps its copy')
  // A's pump or gossip may still push the original around: it must not reach C again.
  await new Promise(resolve => setTimeout(resolve, 1500))
  t.equal(got.length, 1, 'C got it exactly once')
  t.equal(c.history.size, 1)
  t.notOk(b.envelopes.has(id), 'B holds no copy')
  t.ok(b.envelopes.isTombstoned(id), 'B keeps a tombstone')
})
