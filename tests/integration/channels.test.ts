/**
 * Public channels on real nodes (loopback TCP, LevelDB on disk): four
 * members in a star see every post once and in order; a fifth who comes
 * later gets the unexpired history by sync; a member that was offline
 * catches up on return; and relays that never joined carry the channel
 * (they hold the envelopes, they have no history of them).
 */
import t from 'tap'
import { startNode, link, waitFor, meshReady, stopAll, sleep } from './helpers.js'
import { channelTopic } from '../../mesh/gossip.js'
import { publicChannelId } from '../../mesh/channel.js'
import { toHex } from '../../mesh/envelope.js'
import type { FunkpostNode } from '../../node/node.js'
import { makeContext } from '../../node/api.js'
import { channelHandlers } from '../../node/api-channels.js'

/** Every node sees `want(n)` peers subscribed to the topic; then one gossipsub heartbeat for grafting. */
async function topicReady (nodes: FunkpostNode[], topic: string, want: (n: FunkpostNode) => number): Promise<void> {
  await waitFor(`subscribers of ${topic}`, () => nodes.every(n => n.libp2p.services.pubsub.getSubscribers(topic).length >= want(n)), 10_000)
  await sleep(1200)
}

function posts (n: FunkpostNode, chan: string): string[] {
  return n.history.list({ conv: 'channel', peer: chan }).map(e => e.text)
}

t.test('four members in a star, a latecomer, and a member back from offline', async t => {
  const name = '#test-x'
  const chan = toHex(publicChannelId(name))
  const topic = channelTopic(publicChannelId(name))
  const [a, b, c, d] = [await startNode({ name: 'a' }), await startNode({ name: 'b' }), await startNode({ name: 'c' }), await startNode({ name: 'd' })]
  const all: FunkpostNode[] = [a, b, c, d]
  t.teardown(() => stopAll(all))
  // f hangs off b and joins only after the posts, while connected: joining fetches the history at once.
  const f = await startNode({ name: 'f' })
  all.push(f)
  for (const n of [b, c, d]) await link(n, a)
  await link(f, b)
  for (const n of [a, b, c, d]) await n.joinPublic(name)
  await meshReady([a, b, c, d, f])
  const members = [a, b, c, d]
  await topicReady(members, topic, n => members.filter(m => m !== n && n.libp2p.getConnections(m.libp2p.peerId).length > 0).length)

  const sent: string[] = []
  const authors = [a, b, c, d, c, b, a, d]
  for (let i = 0; i < authors.length; i++) {
    const text = `post ${i} from ${authors[i].name}`
    await authors[i].channelPost(chan, { text })
    sent.push(text)
    await sleep(20)
  }
  for (const n of [a, b, c, d]) {
    await waitFor(`${n.name} has all posts`, () => posts(n, chan).length >= sent.length)
  }
  await sleep(300)
  for (const n of [a, b, c, d]) t.same(posts(n, chan), sent, `${n.name}: each post once, in order`)
  t.equal(a.history.list({ conv: 'channel', peer: chan, dir: 'out' }).length, 2, 'a\'s own posts are its outgoing entries')

  t.equal(f.history.size, 0, 'f has not joined')
  t.ok(f.envelopes.items().next().done === false, 'f holds what b handed over (b\'s posts)')
  await f.joinPublic(name)
  // Periodic sync is 60 s here: within this wait only the sync on joining can bring the rest.
  t.same(await waitFor('f has the history after joining', () => posts(f, chan).length >= sent.length ? posts(f, chan) : undefined, 8000), sent, 'f, joining while connected, has the history in order')

  // A fifth node joins after the posts with d's invite link (joining dials d): it gets the history by sync.
  const e = await startNode({ name: 'e' })
  all.push(e)
  const { link: invite } = await channelHandlers['channel.invite'](await makeContext(d), { name }) as { link: string }
  t.equal(e.libp2p.getPeers().length, 0, 'e knows nobody yet')
  await channelHandlers['channel.join'](await makeContext(e), { target: invite })
  await waitFor('e dials d from the link', () => e.libp2p.getConnections(d.libp2p.peerId).length > 0)
  const got = await waitFor('e syncs the history', async () => {
    if (posts(e, chan).length < sent.length) { await e.syncWith(d.libp2p.peerId); return undefined }
    return posts(e, chan)
  }, 15_000, 300)
  t.same(got, sent, 'the latecomer has the history, in order, no duplicates')

  // d goes offline; posts are made; d comes back on the same home and catches up.
  const home = d.init.home
  const identity = d.identity
  await d.stop()
  const whileAway = ['while d was away 1', 'while d was away 2']
  await a.channelPost(chan, { text: whileAway[0] })
  await sleep(20)
  await b.channelPost(chan, { text: whileAway[1] })
  await waitFor('c has the new posts', () => posts(c, chan).length === sent.length + 2)
  const d2 = await startNode({ home, identity, name: 'd' })
  all.push(d2)
  t.same(posts(d2, chan), sent, 'd\'s history survived the restart')
  t.equal(d2.channels.get(chan)?.name, name, 'd is still a member')
  await link(d2, a)
  const back = await waitFor('d catches up', async () => {
    if (posts(d2, chan).length < sent.length + 2) { await d2.syncWith(a.libp2p.peerId); return undefined }
    return posts(d2, chan)
  }, 15_000, 300)
  t.same(back, [...sent, ...whileAway], 'd has what was posted while it was away, once each')
})

t.test('relays that did not join carry the channel: A–R1–R2–B, only A and B joined', async t => {
  const name = '#relay-x'
  const chan = toHex(publicChannelId(name))
  const [a, r1, r2, b] = [await startNode({ name: 'a' }), await startNode({ name: 'r1' }), await startNode({ name: 'r2' }), await startNode({ name: 'b' })]
  t.teardown(() => stopAll([a, r1, r2, b]))
  await link(a, r1)
  await link(r1, r2)
  await link(r2, b)
  await a.joinPublic(name)
  await b.joinPublic(name)
  await meshReady([a, r1, r2, b])
  t.equal(a.libp2p.getConnections(b.libp2p.peerId).length, 0, 'A and B are not connected')

  // Periodic sync is 60 s here: what arrives within the wait came by hand-over and gossip.
  const sent = ['first over the relays', 'second over the relays', 'third over the relays']
  const ids: string[] = []
  for (const text of sent) {
    ids.push(await a.channelPost(chan, { text }))
    await sleep(50)
  }
  const got = await waitFor('B gets A\'s posts', () => posts(b, chan).length >= sent.length ? posts(b, chan) : undefined, 10_000)
  await sleep(300)
  t.same(posts(b, chan), sent, 'in order, once each')
  t.same(got, sent)
  for (const r of [r1, r2]) {
    for (const id of ids) t.ok(r.envelopes.has(id), `${r.name} holds ${id.slice(0, 8)} in custody`)
    t.equal(r.history.list({ conv: 'channel' }).length, 0, `${r.name} has no history entries for the channel`)
    t.equal(r.channels.has(chan), false, `${r.name} did not join`)
  }
})
