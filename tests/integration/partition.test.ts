import t from 'tap'
import { startNodes, linkLine, link, waitFor, meshReady, stopAll, sleep, seededRandom } from './helpers.js'
import type { FunkpostNode } from '../../node/node.js'

/** Bound on the time from joining the islands to every message delivered, ACKed and dropped from custody, ms. */
const HEAL_BOUND_MS = 30_000
const MESSAGES = 200

t.test(`partition: two islands of five, ${MESSAGES} messages across the gap, one link joins them`, async t => {
  const opts = (prefix: string) => (i: number) => ({ transport: 'memory' as const, name: `${prefix}${i}`, syncIntervalMs: 5000 })
  const west = await startNodes(5, opts('w'))
  const east = await startNodes(5, opts('e'))
  const all = [...west, ...east]
  t.teardown(() => stopAll(all))
  await linkLine(west)
  await linkLine(east)
  await meshReady(all)

  const counts = new Map<string, number>()
  const wrongPlace: string[] = []
  const sentTo = new Map<string, FunkpostNode>()
  for (const n of all) {
    n.on('message', e => {
      counts.set(e.id, (counts.get(e.id) ?? 0) + 1)
      if (sentTo.get(e.id) !== n) wrongPlace.push(e.id)
    })
  }
  const rnd = seededRandom(2024)
  const pick = (xs: FunkpostNode[]): FunkpostNode => xs[Math.floor(rnd() * xs.length)]
  const ids: string[] = []
  const senderOf = new Map<string, FunkpostNode>()
  for (let i = 0; i < MESSAGES; i++) {
    const [from, to] = i % 2 === 0 ? [pick(west), pick(east)] : [pick(east), pick(west)]
    const id = await from.send(to.id, `across the gap #${i}`)
    ids.push(id)
    sentTo.set(id, to)
    senderOf.set(id, from)
  }
  // Each island's relays take custody; nothing crosses yet.
  await waitFor('each island\'s far end holds its island\'s mail', () =>
    ids.every(id => (west.includes(senderOf.get(id)!) ? west[4] : east[0]).envelopes.has(id) || senderOf.get(id) === (west.includes(senderOf.get(id)!) ? west[4] : east[0])), 15000)
  await sleep(500)
  t.equal(counts.size, 0, 'nothing delivered while split')

  const t0 = Date.now()
  await link(west[4], east[0])
  await waitFor('every message delivered', () => counts.size === MESSAGES, HEAL_BOUND_MS)
  const delivered = Date.now() - t0
  await waitFor('every sender sees every message delivered', () =>
    ids.every(id => senderOf.get(id)!.history.get(id)?.status === 'delivered'), HEAL_BOUND_MS - delivered)
  await waitFor('no node holds any original', () => all.every(n => ids.every(id => !n.envelopes.has(id))), Math.max(1000, HEAL_BOUND_MS - (Date.now() - t0)))
  const healed = Date.now() - t0
  t.ok(healed <= HEAL_BOUND_MS, `delivered in ${delivered} ms, all ACKed and custody dropped in ${healed} ms (bound ${HEAL_BOUND_MS} ms)`)
  t.comment(`partition heal: ${MESSAGES} messages delivered ${delivered} ms, acked and custody gone ${healed} ms after the join`)

  await sleep(1500) // late copies (outbox retries, sync) must not deliver twice
  t.same([...counts.values()].filter(c => c !== 1), [], 'every message arrived exactly once')
  t.same(wrongPlace, [], 'only at its recipient')
  t.ok(all.every(n => n.outbox.size === 0), 'every outbox empty')
  t.ok(all.every(n => ids.every(id => !n.envelopes.has(id))), 'still no node holds any original')
  const tombless = all.flatMap(n => ids.filter(id => !n.envelopes.isTombstoned(id, sentTo.get(id)!.mailroom.me)).map(id => `${n.name}:${id.slice(0, 8)}`))
  t.same(tombless, [], 'every node keeps a tombstone of every delivered message')
})
