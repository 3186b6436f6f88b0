/**
 * Sync benchmark: range-based reconciliation (store-forward/reconcile.ts)
 * against a naive "send every id" exchange, for n = 10,000 and 100,000 items
 * and d = 0 … 1,000 differences split across both sides. Prints ONE JSON object.
 *
 *   npx esbuild bench/sync.ts --bundle --platform=node --format=esm --target=node20 \
 *     --outfile=/tmp/sync-bench.mjs --log-level=warning && node /tmp/sync-bench.mjs
 */
import { createHash } from 'node:crypto'
import {
  SortedItems, reconcileLocal, BUCKETS, LARGE_BUCKETS, LARGE_RANGE, PREFIX_LIST_THRESHOLD, ID_LIST_THRESHOLD
} from '../store-forward/reconcile.js'
import type { Item, ReconcilerInit } from '../store-forward/reconcile.js'
import { DEFAULT_FRAME_SIZE_LIMIT, ID_BYTES, PREFIX_BYTES, versionFor } from '../store-forward/reconcile-frames.js'

/** Assumed size of one missing envelope, bytes (a short chat message, sealed and signed). */
const ENVELOPE_BYTES = 512
/** Items' timestamps are spread uniformly over this window (the default envelope lifetime). */
const SPAN_MS = 30 * 86_400_000
const BASE_TS = 1_700_000_000_000
const SIZES = [10_000, 100_000]
const DIFFS = [0, 1, 10, 100, 1_000]
const REPEATS = 3

function item (seed: string, i: number): Item {
  const id = new Uint8Array(createHash('sha256').update(`${seed}:${i}`).digest())
  const ts = BASE_TS + ((id[0] as number) * 2 ** 24 + (id[1] as number) * 2 ** 16 + (id[2] as number) * 256 + (id[3] as number)) % SPAN_MS
  return { ts, id }
}

/** floor(d/2) items only at the initiator, ceil(d/2) only at the responder, n - ceil(d/2) in common. */
function makeSets (n: number, d: number): { a: Item[], b: Item[] } {
  const common = Array.from({ length: n - Math.ceil(d / 2) }, (_, i) => item('common', i))
  const onlyA = Array.from({ length: Math.floor(d / 2) }, (_, i) => item('a', i))
  const onlyB = Array.from({ length: Math.ceil(d / 2) }, (_, i) => item('b', i))
  return { a: [...common, ...onlyA], b: [...common, ...onlyB] }
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

/** Naive exchange, computed for real: A sends every id; B answers with the ids A lacks and the ids B wants. */
function naive (a: Item[], b: Item[]): { ids: number, missingIds: number, envelopes: number, total: number, ms: number } {
  const t0 = performance.now()
  const sent = a.map(x => x.id) // 32 bytes each, one way
  const atB = new Set(b.map(x => hex(x.id)))
  const fromA = new Set(sent.map(hex))
  let missing = 0
  for (const k of fromA) if (!atB.has(k)) missing++
  for (const k of atB) if (!fromA.has(k)) missing++
  const ms = performance.now() - t0
  const ids = sent.length * ID_BYTES
  const missingIds = missing * ID_BYTES
  const envelopes = missing * ENVELOPE_BYTES
  return { ids, missingIds, envelopes, total: ids + missingIds + envelopes, ms: round(ms) }
}

const round = (x: number): number => Math.round(x * 100) / 100

function median (xs: number[]): number { return [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number }

function runAll (init: ReconcilerInit): { runs: unknown[], allGoalsMet: boolean } {
  const runs: unknown[] = []
  let allGoalsMet = true
  for (const n of SIZES) {
    for (const d of DIFFS) {
      const { a, b } = makeSets(n, d)
      const t0 = performance.now()
      const sa = SortedItems.from(a)
      const sb = SortedItems.from(b)
      sa.fingerprint(0, sa.size) // builds the prefix sums, as a store's set would have them
      sb.fingerprint(0, sb.size)
      const setupMs = performance.now() - t0
      const times: number[] = []
      let r = reconcileLocal(sa, sb, init)
      for (let i = 0; i < REPEATS; i++) {
        const t1 = performance.now()
        r = reconcileLocal(sa, sb, init)
        times.push(performance.now() - t1)
      }
      const truth = new Set(b.map(x => hex(x.id)))
      const correct = r.have.length + r.need.length === d &&
        r.have.every(id => !truth.has(hex(id))) && r.need.every(id => truth.has(hex(id)))
      const reconciliation = r.bytesToResponder + r.bytesToInitiator
      const missingEnvelopeBytes = (r.have.length + r.need.length) * ENVELOPE_BYTES
      const total = reconciliation + missingEnvelopeBytes
      const goalBytes = total <= 1.5 * missingEnvelopeBytes + 4096
      const goalRoundTrips = d > 100 ? null : r.rounds <= 4
      allGoalsMet &&= correct && goalBytes && goalRoundTrips !== false
      runs.push({
        n,
        d,
        correct,
        reconciliationBytes: {
          toResponder: r.bytesToResponder,
          toInitiator: r.bytesToInitiator,
          total: reconciliation,
          fingerprints: r.initiator.fingerprints + r.responder.fingerprints,
          prefixes: r.initiator.prefixes + r.responder.prefixes,
          fullIds: r.initiator.ids + r.responder.ids,
          largestFrame: Math.max(...r.frames)
        },
        roundTrips: r.rounds,
        ms: round(median(times)),
        setupMs: round(setupMs),
        missingEnvelopeBytes,
        total,
        naive: naive(a, b),
        goalBytes,
        goalRoundTrips
      })
    }
  }
  return { runs, allGoalsMet }
}

const main = runAll({})
const short = runAll({ fingerprintBytes: 8 })
console.log(JSON.stringify({
  bench: 'sync',
  node: process.version,
  assumptions: {
    envelopeBytes: ENVELOPE_BYTES,
    idBytes: ID_BYTES,
    frameSizeLimit: DEFAULT_FRAME_SIZE_LIMIT,
    timestamps: 'uniform over 30 days',
    differences: 'floor(d/2) only at the initiator, ceil(d/2) only at the responder; n - ceil(d/2) in common',
    naive: '32 B x n_initiator one way + 32 B x d missing ids back + envelopes; 1 round trip',
    ms: `median of ${REPEATS} whole sessions, both sides in one process, sets and prefix sums prebuilt (setupMs)`
  },
  goal: 'total <= 1.5 x missingEnvelopeBytes + 4096 bytes, and roundTrips <= 4 when d <= 100',
  params: {
    version: '0x' + versionFor(16).toString(16),
    fingerprintBytes: 16,
    buckets: BUCKETS,
    largeBuckets: LARGE_BUCKETS,
    largeRange: LARGE_RANGE,
    prefixListThreshold: PREFIX_LIST_THRESHOLD,
    idListThreshold: ID_LIST_THRESHOLD,
    prefixBytes: PREFIX_BYTES
  },
  runs: main.runs,
  allGoalsMet: main.allGoalsMet,
  variantShortFingerprints: {
    params: { version: '0x' + versionFor(8).toString(16), fingerprintBytes: 8, note: 'wire fingerprint = first 8 bytes of SHA-256(salt || 16-byte fingerprint)' },
    runs: short.runs,
    allGoalsMet: short.allGoalsMet
  }
}))
