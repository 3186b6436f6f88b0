/**
 * A hostile peer on the mail topic. It is a bare libp2p node with gossipsub
 * (funkpost's gossip options, so message ids match, but no validator) that
 * connects to an honest relay H and publishes forgeries, replays, expired,
 * wrong-version, wrong-topic, random-byte and oversize envelopes addressed to
 * T (a third honest node behind H). None is delivered, held or forwarded;
 * H stays up, counts the reasons, scores the hostile peer below zero, and
 * honest mail from O still flows through H to T.
 *
 *   O ── H ── T
 *        │
 *      evil
 */
import t from 'tap'
import crypto from 'node:crypto'
import { startNode, link, waitFor, meshReady, stopAll, sealedDirect, bareGossipNode, type BareGossipNode } from './helpers.js'
import { identityFromSeed } from '../../node/identity.js'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { signEnvelope, Envelope } from '../../mesh/envelope.js'
import { makeAnnounce } from '../../mesh/announce.js'
import { DeliverResponse } from '../../mesh/deliver.js'
import { MAIL_TOPIC, MAX_ENVELOPE_BYTES } from '../../mesh/constants.js'
import type { FunkpostNode } from '../../node/node.js'
import type { HistoryEntry } from '../../store-forward/history.js'

const sleep = async (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))
const idOf = (bytes: Uint8Array): string => {
  try { return crypto.createHash('sha256').update(Envelope.decode(bytes).body).digest('hex') } catch { return 'undecodable' }
}

t.test('a hostile gossip peer is rejected, scored down, and honest mail still flows', async t => {
  const nodes: FunkpostNode[] = []
  let evil: BareGossipNode | undefined
  t.teardown(async () => { await Promise.resolve(evil?.stop()).catch(() => {}); await stopAll(nodes) })
  const [o, h, tt] = [await startNode({ name: 'o' }), await startNode({ name: 'h' }), await startNode({ name: 't' })]
  nodes.push(o, h, tt)
  await link(o, h)
  await link(h, tt)
  evil = await bareGossipNode()
  evil.services.pubsub.subscribe(MAIL_TOPIC)
  await evil.dial(h.libp2p.getMultiaddrs()[0])
  await meshReady([o, h, tt])
  const evilId = evil.peerId.toString()
  await waitFor('H and the hostile peer see each other on the mail topic', () =>
    h.libp2p.services.pubsub.getSubscribers(MAIL_TOPIC).some(p => p.toString() === evilId) &&
    evil?.services.pubsub.getSubscribers(MAIL_TOPIC).some(p => p.equals(h.libp2p.peerId)))

  const atT: HistoryEntry[] = []
  const atH: HistoryEntry[] = []
  tt.on('message', e => atT.push(e))
  h.on('message', e => atH.push(e))
  const seenAtT = new Set<string>()
  tt.libp2p.services.pubsub.addEventListener('message', evt => { seenAtT.add(idOf(evt.detail.data)) })

  // Honest traffic first: one gossiped O→T envelope, one O→H handed over directly (never gossiped).
  const gossiped = sealedDirect(o.identity, tt.identity, 'gossiped before the attack')
  t.ok(await o.gossip.publish(MAIL_TOPIC, gossiped.bytes, gossiped.id) > 0, 'O gossips to T through H')
  const direct = sealedDirect(o.identity, h.identity, 'handed to H directly')
  t.equal((await o.deliverer.deliver(h.libp2p.peerId, direct.bytes)).status, DeliverResponse.Status.ACKED, 'H acknowledged the direct envelope')
  await waitFor('T and H have the honest envelopes', () => atT.length === 1 && atH.length === 1)

  // ACKs of the honest envelopes travel on; wait until both stores are quiet before counting.
  const counts = (): string => `${h.envelopes.stats().custody.count}/${tt.envelopes.stats().custody.count}`
  let last = ''
  await waitFor('custody settles', async () => { const c = counts(); const same = c === last; last = c; await sleep(300); return same && c === counts() }, 10_000)
  const custodyH = h.envelopes.stats().custody.count
  const custodyT = tt.envelopes.stats().custody.count
  const statsT = structuredClone(tt.gossip.stats)
  const dupH = h.gossip.stats.duplicate

  // The attack. The hostile author has its own (valid) key; it also knows O's public key.
  const mallory = identityFromSeed(new Uint8Array(crypto.randomBytes(32)))
  const now = Date.now()
  const forgedSig = Envelope.decode(sealedDirect(o.identity, tt.identity, 'forged signature').bytes)
  forgedSig.sig = new Uint8Array(forgedSig.sig)
  forgedSig.sig[0] ^= 0x80
  const claimsO = sealedDirect(mallory, tt.identity, 'claims to be from O')
  const claimsBody = { ...claimsO.body, from: o.identity.publicKey }
  const impersonation = signEnvelope(mallory.seed, claimsBody) // from = O, signed by mallory
  const attack: Record<string, Uint8Array> = {
    signature: Envelope.encode(forgedSig),
    impersonation: impersonation.bytes,
    expired: sealedDirect(mallory, tt.identity, 'expired', { created: now - 7_200_000, expires: now - 1000 }).bytes,
    version: sealedDirect(mallory, tt.identity, 'from the future protocol', { v: 2 }).bytes,
    malformed: new Uint8Array(crypto.randomBytes(512)),
    topic: makeAnnounce(mallory.seed, mallory.publicKey, { name: 'evil', addrs: [], roles: [] }, now).bytes,
    // Over MAX_ENVELOPE_BYTES but inside one gossip frame: the validator must refuse it before decoding.
    oversize: sealedDirect(mallory, tt.identity, '', { payload: new Uint8Array(MAX_ENVELOPE_BYTES + 1024) }).bytes
  }
  t.ok(attack.oversize.length > MAX_ENVELOPE_BYTES)
  const published: Record<string, boolean> = {}
  const pub = async (node: BareGossipNode | undefined, what: string, bytes: Uint8Array): Promise<void> => {
    try { await node?.services.pubsub.publish(MAIL_TOPIC, bytes); published[what] = true } catch { published[what] = false }
  }
  for (const [what, bytes] of Object.entries(attack)) await pub(evil, what, bytes)
  // Replays: the O→H envelope that H got directly (H's gossipsub has never seen its id: funkpost's
  // dedupe must catch it), and the O→T envelope H already relayed (gossipsub's own seen-cache).
  await pub(evil, 'replay-direct', direct.bytes)
  await pub(evil, 'replay-gossiped', gossiped.bytes)
  t.ok(Object.values(published).every(Boolean), 'the hostile peer published everything')
  const want = { signature: 2, expired: 1, version: 1, malformed: 1, topic: 1, oversize: 1 }
  await waitFor('H judged every hostile envelope', () =>
    JSON.stringify(h.gossip.stats.invalid) === JSON.stringify(want) && h.gossip.stats.duplicate >= dupH + 1, 5000).catch(() => {})
  t.same(h.gossip.stats.invalid, want, 'H counted each reason')
  t.equal(h.gossip.stats.duplicate, dupH + 1, 'the replayed direct envelope is a duplicate')

  await waitFor('H scores the hostile peer below zero', () => h.gossip.score(evilId) < 0, 5000).catch(() => {})
  t.ok(h.gossip.score(evilId) < 0, `hostile score ${h.gossip.score(evilId)} < 0 (refreshed on the heartbeat)`)
  t.ok(h.gossip.score(o.libp2p.peerId.toString()) >= 0, 'the honest neighbour is not penalised')
  t.equal(h.envelopes.stats().custody.count, custodyH, 'H holds nothing new in custody')
  t.equal(tt.envelopes.stats().custody.count, custodyT, 'T holds nothing new in custody')

  // Honest mail still flows O → H → T, through the same relay, after the attack.
  const after = await o.send(tt.id, 'honest mail after the attack')
  await waitFor('honest mail arrives at T', () => atT.some(e => e.id === after), 15_000)
  await waitFor('O sees it delivered', () => o.history.get(after)?.status === 'delivered', 15_000)
  await sleep(500)

  t.ok(h.isRunning && h.libp2p.status === 'started', 'H is still up')
  t.same(atT.map(e => e.text), ['gossiped before the attack', 'honest mail after the attack'], 'T got only honest mail, each once')
  t.same(atH.map(e => e.text), ['handed to H directly'], 'the replay did not reach H\'s inbox again')
  const attackIds = Object.values(attack).map(idOf).filter(id => id !== 'undecodable')
  t.same(attackIds.filter(id => seenAtT.has(id)), [], 'no hostile envelope was forwarded to T')
  t.same(tt.gossip.stats.invalid, statsT.invalid, 'T never even had to reject one')
  t.ok(attackIds.every(id => !h.envelopes.has(id) && !tt.envelopes.has(id)), 'no hostile id in either store')
  t.comment(`H gossip stats: ${JSON.stringify(h.gossip.stats)}; hostile score ${h.gossip.score(evilId).toFixed(1)}`)

  // A second hostile peer sits in H's mesh for a while (a positive score, cached for a heartbeat),
  // sends one forgery and hangs up at once: H must remember the penalty, not forget the peer.
  // An id below H's: H's keeper would redial such a peer after 1.5 s if it dialled every peer that ever connected.
  let key = await generateKeyPair('Ed25519')
  for (let i = 0; i < 64 && peerIdFromPrivateKey(key).toString() >= h.id; i++) key = await generateKeyPair('Ed25519')
  const evil2 = await bareGossipNode(undefined, key)
  t.teardown(async () => { await Promise.resolve(evil2.stop()).catch(() => {}) })
  evil2.services.pubsub.subscribe(MAIL_TOPIC)
  await evil2.dial(h.libp2p.getMultiaddrs()[0])
  const evil2Id = evil2.peerId.toString()
  await waitFor('its score turns positive (grafted: time in mesh counts)', () => h.gossip.score(evil2Id) > 0, 5000)
  const invalidCount = (): number => Object.values(h.gossip.stats.invalid).reduce((a, b) => a + b, 0)
  const before = invalidCount()
  const fresh = Envelope.decode(sealedDirect(mallory, tt.identity, 'hit and run').bytes) // a new id: not in H's seen-caches
  await pub(evil2, 'hit-and-run', Envelope.encode({ ...fresh, sig: new Uint8Array(64) }))
  await waitFor('H rejected it', () => invalidCount() === before + 1, 5000)
  await evil2.hangUp(h.libp2p.peerId)
  await waitFor('H saw it leave', () => h.libp2p.getConnections(evil2.peerId).length === 0)
  // The keeper dials what mDNS and bootstrap find, not every peer that once connected in (it defers some dials
  // 1.5 s); a redial would also hand the peer a fresh score (gossipsub 17 resets a reconnecting peer's stats).
  await sleep(2000)
  t.equal(h.libp2p.getConnections(evil2.peerId).length, 0, 'H does not dial the peer that hung up')
  t.ok(h.gossip.score(evil2Id) < 0, `a peer that hangs up keeps its penalty (score ${h.gossip.score(evil2Id).toFixed(1)})`)
})
