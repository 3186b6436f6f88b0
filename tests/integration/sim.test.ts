/**
 * A small network simulation on the real stack (bench/sim): 30 real nodes
 * (libp2p over the memory transport, LevelDB on disk) in a seeded rooftop
 * graph, a Poisson stream of direct messages, a partition that cuts the
 * graph in two and heals, and three nodes that stop and restart on their
 * homes. Every message arrives (all recipients are back online well before
 * expiry) and is acknowledged, and no node's custody exceeds its quota at
 * any sample. The protocol model (the real EnvelopeStore and Outbox over
 * in-memory stores) replays the same scenario: it also delivers everything,
 * and under a quota far below the load eviction keeps every node within it.
 */
import t from 'tap'
import { makeScenario } from '../../bench/sim/scenario.js'
import { runReal } from '../../bench/sim/real.js'
import { runModel } from '../../bench/model/run.js'

/** Above this scenario's peak (about 6 KiB): with eviction, delivery can take longer than the drain (docs/PERFORMANCE.md, "Custody pressure"). */
const QUOTA = 64 * 1024
/** Well below the peak: eviction must keep every node within it. */
const TIGHT = 2 * 1024

const scenario = makeScenario({
  seed: 424242,
  n: 30,
  topology: 'rooftop',
  meanDegree: 5,
  durationMs: 15_000,
  drainMs: 45_000,
  rate: 2,
  churn: 0.1,
  downMs: [3000, 6000],
  partition: { at: 0.25, heal: 0.6 }
})

t.test('the scenario is what the test needs', async t => {
  t.equal(scenario.graph.n, 30)
  t.ok(scenario.partitions.length === 1 && scenario.partitions[0].cut.length > 0, 'one partition cuts some links')
  t.equal(scenario.outages.length, 3, 'three nodes restart')
  t.ok(scenario.sends.length >= 15, `${scenario.sends.length} messages`)
  const across = scenario.sends.filter(s => (scenario.graph.pos[s.from][0] < 0.5) !== (scenario.graph.pos[s.to][0] < 0.5) &&
    s.at >= scenario.partitions[0].at && s.at < scenario.partitions[0].heal)
  t.ok(across.length > 0, `${across.length} messages are sent across the partition while it is cut`)
  const toDown = scenario.sends.filter(s => scenario.outages.some(o => o.node === s.to && s.at >= o.down && s.at < o.up))
  t.comment(`${toDown.length} messages are sent to a node that is down`)
})

t.test('real stack: 100% delivery across a healed partition and churn, custody within quota', async t => {
  const r = await runReal({ scenario, pubsub: 'gossipsub', quotaBytes: QUOTA, log: line => t.comment(line) })
  t.comment(JSON.stringify({ delivered: r.delivered, latencyMs: r.latencyMs, amplification: r.amplification, tx: r.tx, custody: r.custody, timing: r.timing }))
  t.equal(r.failures && (r.failures as { send: number }).send, 0, 'every send was made')
  t.equal(r.delivered, scenario.sends.length, 'every message arrived at its recipient')
  t.equal(r.deliveryRatio, 1)
  t.equal(r.acked, scenario.sends.length, 'every sender saw its message acknowledged')
  t.ok(r.custody.samples > 100, `custody sampled ${r.custody.samples} times`)
  t.equal(r.custody.overQuotaSamples, 0, 'no sample over quota')
  t.ok(r.custody.maxBytes <= QUOTA, `max custody ${r.custody.maxBytes} ≤ ${QUOTA}`)
  t.ok(r.custody.maxBytes > 0, 'relays did hold mail')
  t.ok(r.tx.gossip > 0 && r.amplification > 1, 'transmissions were counted')
})

t.test('model: the same scenario, 100% delivery, custody within quota', async t => {
  const r = await runModel({ scenario, router: 'gossipsub', quotaBytes: QUOTA })
  t.equal(r.deliveryRatio, 1, 'every message arrives in the model too')
  t.equal(r.custody.overQuotaSamples, 0)
  t.ok(r.amplification > 1)
  const tight = await runModel({ scenario, router: 'gossipsub', quotaBytes: TIGHT })
  t.ok(tight.custody.maxBytes > TIGHT * 0.75 && tight.custody.maxBytes <= TIGHT, `under pressure custody peaks at ${tight.custody.maxBytes} ≤ ${TIGHT}`)
  t.equal(tight.custody.overQuotaSamples, 0, 'eviction keeps every node within a tight quota at every sample')
})
