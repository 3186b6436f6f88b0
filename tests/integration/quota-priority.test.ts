import t from 'tap'
import crypto from 'node:crypto'
import { startNode, link, waitFor, stopAll, sleep } from './helpers.js'
import { PROFILES } from '../../node/profiles.js'
import { signEnvelope, Kind, Priority } from '../../mesh/envelope.js'
import { identityFromSeed, type Identity } from '../../node/identity.js'
import { DeliverResponse } from '../../mesh/deliver.js'
import type { FunkpostNode } from '../../node/node.js'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const newId = (): Identity => identityFromSeed(new Uint8Array(crypto.randomBytes(32)))

/** A big DIRECT envelope from `author` to `to` (a relay cannot tell it from sealed mail). */
function big (author: Identity, to: Uint8Array, size: number, priority = Priority.NORMAL): { bytes: Uint8Array, id: string } {
  const now = Date.now()
  const s = signEnvelope(author.seed, { kind: Kind.DIRECT, from: author.publicKey, to, created: now, expires: now + 3_600_000, priority, payload: crypto.randomBytes(size) })
  return { bytes: s.bytes, id: hex(s.id) }
}

function custodyBy (n: FunkpostNode, author: Identity): number {
  const key = hex(author.publicKey)
  let bytes = 0
  for (const { meta } of n.envelopes.items()) if (meta.role === 'custody' && meta.from === key) bytes += meta.size
  return bytes
}

async function hand (from: FunkpostNode, to: FunkpostNode, bytes: Uint8Array): Promise<string> {
  const r = await from.deliverer.deliver(to.libp2p.peerId, bytes)
  return r.status === DeliverResponse.Status.ACCEPTED ? r.reason : r.status
}

t.test('a flooding author stays within the router profile\'s per-author quota; other authors\' mail is still held', async t => {
  const router = PROFILES.router
  const relay = await startNode({ name: 'relay', profile: 'router' })
  const flooder = await startNode({ name: 'flooder' })
  t.teardown(() => stopAll([relay, flooder]))
  await link(flooder, relay)
  const f = flooder.identity
  const others = [newId(), newId()]
  const third = newId().publicKey
  const kept = [big(others[0], newId().publicKey, 2000), big(others[1], third, 30_000), big(others[1], newId().publicKey, 500, Priority.LOW)]
  for (const e of kept) t.equal(await hand(flooder, relay, e.bytes), 'held')

  const size = 60_000
  const steps = Math.ceil(router.custodyPerAuthorBytes / size) + 15
  let maxSeen = 0
  let bad = 0
  for (let i = 0; i < steps; i++) {
    const code = await hand(flooder, relay, big(f, third, size).bytes)
    const mine = custodyBy(relay, f)
    const total = relay.envelopes.stats().custody.bytes
    maxSeen = Math.max(maxSeen, mine)
    if (code !== 'held' || mine > router.custodyPerAuthorBytes || total > router.custodyBytes) bad++
  }
  t.equal(bad, 0, `within quota after every one of ${steps} steps`)
  t.ok(maxSeen > router.custodyPerAuthorBytes - size, `the flooder reached its quota (${maxSeen} of ${router.custodyPerAuthorBytes} bytes)`)
  t.ok(relay.status().store.evicted >= steps - Math.floor(router.custodyPerAuthorBytes / 60_100), 'its own oldest were evicted')
  for (const e of kept) t.ok(relay.envelopes.has(e.id), 'another author\'s envelope is still held')
})

t.test('a small total quota (quotaBytes): custody stays within it, LOW goes first, CRITICAL stays', async t => {
  const quota = 400_000
  const relay = await startNode({ name: 'relay', quotaBytes: quota })
  const sender = await startNode({ name: 'sender' })
  t.teardown(() => stopAll([relay, sender]))
  await link(sender, relay)
  const [fl, other] = [newId(), newId()]
  const crit = big(other, newId().publicKey, 20_000, Priority.CRITICAL)
  const low = big(other, newId().publicKey, 20_000, Priority.LOW)
  for (const e of [crit, low]) t.equal(await hand(sender, relay, e.bytes), 'held')
  let bad = 0
  let lowGoneAt = -1
  let firstEviction = -1
  for (let i = 0; i < 20; i++) {
    await hand(sender, relay, big(fl, newId().publicKey, 40_000).bytes)
    if (relay.envelopes.stats().custody.bytes > quota) bad++
    if (lowGoneAt < 0 && !relay.envelopes.has(low.id)) lowGoneAt = i
    if (firstEviction < 0 && relay.envelopes.stats().evicted > 0) firstEviction = i
  }
  t.equal(bad, 0, 'custody within quotaBytes after every step')
  t.ok(firstEviction > 0 && lowGoneAt === firstEviction, `the LOW envelope was the first evicted (step ${lowGoneAt})`)
  t.ok(relay.envelopes.has(crit.id), 'the CRITICAL one outlived the flood')
})

t.test('priority: queued offline, CRITICAL arrives before NORMAL on reconnect; stale LOW is dropped, not sent', async t => {
  const sender = await startNode({ name: 'sender', lowStaleMs: 600, backoffBaseMs: 60_000 })
  const peer = await startNode({ name: 'peer' })
  t.teardown(() => stopAll([sender, peer]))
  const low = await sender.send(peer.id, 'typing-ish, soon stale', { priority: Priority.LOW })
  const normal: string[] = []
  for (let i = 0; i < 5; i++) normal.push(await sender.send(peer.id, `normal ${i}`))
  await sleep(700) // the LOW entry is now older than lowStaleMs; the long backoff means no pump ran since
  const critical = await sender.send(peer.id, 'urgent', { priority: Priority.CRITICAL })
  t.equal(sender.outbox.size, 7, 'all queued while offline')
  t.same(sender.outbox.list().map(e => e.id), [critical, ...normal, low], 'outbox order: CRITICAL, NORMAL by age, LOW')

  const arrived: string[] = []
  const seen = new Set<string>()
  peer.on('received', e => { if (!seen.has(e.id)) { seen.add(e.id); arrived.push(e.id) } })
  await link(sender, peer)
  await waitFor('peer has all six', () => [critical, ...normal].every(id => peer.history.has(id)))
  await waitFor('sender outbox empty', () => sender.outbox.size === 0)
  await sleep(500)
  const mail = arrived.filter(id => id === critical || normal.includes(id))
  t.equal(mail[0], critical, 'CRITICAL first')
  t.same(mail.slice(1), normal, 'then NORMAL, oldest first')
  t.notOk(seen.has(low), 'the stale LOW message never reached the peer')
  t.notOk(peer.history.has(low))
  t.notOk(sender.envelopes.has(low), 'and the sender no longer holds it')
  t.equal(sender.history.get(critical)?.status, 'delivered')
})
