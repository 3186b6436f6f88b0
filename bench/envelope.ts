/**
 * Envelope crypto throughput on one core. Prints ONE JSON object:
 * operations per second (median of RUNS runs of at least MIN_RUN_MS each)
 * for Ed25519 sign/verify (noble and native), sealing and opening, native
 * X25519 ECDH, and the full receive pipeline (validateEnvelope: decode +
 * checks + verify + id) for a few authors and for a stream of new ones,
 * plus the ratios the design aims for.
 *
 *   bench/run.sh bench/envelope.ts            (bundles, then runs)
 *   bench/run.sh bench/envelope.ts --quick    (1 run of 200 ms each)
 */
import crypto from 'node:crypto'
import os from 'node:os'
import { nobleEd25519, nativeEd25519, type Ed25519 } from '../mesh/ed25519.js'
import { nativeX25519 } from '../mesh/x25519.js'
import { seal, open, type SealHeader } from '../mesh/seal.js'
import { signEnvelope, validateEnvelope, Kind, Body, Envelope, Priority } from '../mesh/envelope.js'
import { SIGN_DOMAIN } from '../mesh/constants.js'
import { identityFromSeed } from '../node/identity.js'

const quick = process.argv.includes('--quick')
const RUNS = quick ? 1 : 5
const MIN_RUN_MS = quick ? 200 : 500
const BATCH = 16

/**
 * Ops per second of each fn (called with a running index): median of RUNS
 * runs of at least MIN_RUN_MS each. Time is this process's CPU time, which
 * equals wall time on an idle core but does not count time the process
 * waited for a core on a busy machine; runs also go round-robin over all
 * fns, so what load remains affects every figure (and ratio) alike.
 */
function cpuMs (): number {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

function measureAll<K extends string> (fns: Record<K, (i: number) => void>): Record<K, number> {
  const names = Object.keys(fns) as K[]
  const index = new Map<K, number>(names.map(n => [n, 0]))
  const rates = new Map<K, number[]>(names.map(n => [n, []]))
  for (const name of names) { // warm-up
    const fn = fns[name]
    let i = 0
    const start = performance.now()
    while (performance.now() - start < 100) for (let b = 0; b < BATCH; b++) fn(i++)
    index.set(name, i)
  }
  for (let r = 0; r < RUNS; r++) {
    for (const name of names) {
      const fn = fns[name]
      let i = index.get(name) as number
      let ops = 0
      let elapsed = 0
      const start = cpuMs()
      do {
        for (let b = 0; b < BATCH; b++) fn(i++)
        ops += BATCH
        elapsed = cpuMs() - start
      } while (elapsed < MIN_RUN_MS)
      index.set(name, i)
      rates.get(name)?.push(ops / (elapsed / 1000))
    }
  }
  const out = {} as Record<K, number>
  for (const name of names) {
    const rs = (rates.get(name) as number[]).sort((a, b) => a - b)
    out[name] = Math.round(rs[Math.floor(rs.length / 2)])
  }
  return out
}

let sink = 0
const use = (b: Uint8Array | boolean): void => { sink ^= typeof b === 'boolean' ? (b ? 1 : 0) : b[0] }

const authors = [1, 2, 3, 4, 5].map(b => identityFromSeed(new Uint8Array(32).fill(b)))
const messages = Array.from({ length: 64 }, () => new Uint8Array(crypto.randomBytes(200)))

type Op = (i: number) => void

function signOp (impl: Ed25519): Op {
  const seed = authors[0].seed
  return i => use(impl.sign(seed, messages[i & 63]))
}
function verifyOp (impl: Ed25519): Op {
  const signed = messages.map((m, i) => ({ m, pub: authors[i % 5].publicKey, sig: nativeEd25519.sign(authors[i % 5].seed, m) }))
  if (!signed.every(s => impl.verify(s.sig, s.m, s.pub))) throw new Error(`${impl.name} does not verify`)
  return i => { const s = signed[i & 63]; use(impl.verify(s.sig, s.m, s.pub)) }
}

const now = Date.now()
const [alice, bob] = authors
const header: SealHeader = { from: alice.publicKey, to: bob.publicKey, created: now, expires: now + 3_600_000 }
const content = new Uint8Array(crypto.randomBytes(200))

function sealOp (): Op {
  return () => use(seal(content, header, nativeX25519))
}
function openOp (): Op {
  const boxes = Array.from({ length: 64 }, () => seal(content, header, nativeX25519))
  return i => use(open(boxes[i & 63], header, bob.xSecret, bob.xPublic, nativeX25519))
}
function ecdhOp (): Op {
  const pairs = Array.from({ length: 64 }, () => ({ a: crypto.generateKeyPairSync('x25519'), b: crypto.generateKeyPairSync('x25519') }))
  return i => { const p = pairs[i & 63]; use(crypto.diffieHellman({ privateKey: p.a.privateKey, publicKey: p.b.publicKey })) }
}
function pipelineOp (): Op {
  const envelopes = Array.from({ length: 256 }, (_, i) => {
    const a = authors[i % authors.length]
    return signEnvelope(a.seed, {
      kind: Kind.DIRECT, from: a.publicKey, to: bob.publicKey, created: now, expires: now + 3_600_000, payload: new Uint8Array(crypto.randomBytes(200))
    }).bytes
  })
  const policy = { now: now + 1000 }
  if (!envelopes.every(e => validateEnvelope(e, policy).code === 'valid')) throw new Error('bench envelopes do not validate')
  return i => { const r = validateEnvelope(envelopes[i & 255], policy); if (r.code !== 'valid') throw new Error(r.reason) }
}

/**
 * The same pipeline when every envelope comes from an author not seen
 * recently: 8,192 authors in turn, twice the public-key cache of
 * mesh/ed25519.ts, so each verify parses a new key (a flood of fresh keys).
 */
function pipelineNewAuthorsOp (): Op {
  const envelopes = Array.from({ length: 8192 }, () => {
    const { privateKey } = crypto.generateKeyPairSync('ed25519')
    const from = new Uint8Array(Buffer.from(privateKey.export({ format: 'jwk' }).x as string, 'base64url'))
    const body = Body.encode({
      v: 1, kind: Kind.DIRECT, from, to: bob.publicKey as Uint8Array<ArrayBuffer>, created: now, expires: now + 3_600_000,
      priority: Priority.NORMAL, ref: new Uint8Array(0), payload: new Uint8Array(crypto.randomBytes(200))
    })
    const sig = new Uint8Array(crypto.sign(null, new Uint8Array([...SIGN_DOMAIN, ...body]), privateKey))
    return Envelope.encode({ body, sig, hops: 0 })
  })
  const policy = { now: now + 1000 }
  return i => { const r = validateEnvelope(envelopes[i & 8191], policy); if (r.code !== 'valid') throw new Error(r.reason) }
}

const perSecond = measureAll({
  signNoble: signOp(nobleEd25519),
  signNative: signOp(nativeEd25519),
  verifyNoble: verifyOp(nobleEd25519),
  verifyNative: verifyOp(nativeEd25519),
  seal: sealOp(),
  open: openOp(),
  ecdhNative: ecdhOp(),
  pipeline: pipelineOp(),
  pipelineNewAuthors: pipelineNewAuthorsOp()
})
const ratio = (a: number, b: number): number => Math.round((a / b) * 1000) / 1000
const ratios = {
  pipelineOverVerifyNative: ratio(perSecond.pipeline, perSecond.verifyNative),
  sealOverEcdh: ratio(perSecond.seal, perSecond.ecdhNative),
  openOverEcdh: ratio(perSecond.open, perSecond.ecdhNative),
  pipelineNewAuthorsOverVerifyNative: ratio(perSecond.pipelineNewAuthors, perSecond.verifyNative)
}
const goals = { pipelineOverVerifyNative: 0.8, sealOverEcdh: 0.5, openOverEcdh: 0.5 }

console.log(JSON.stringify({
  bench: 'envelope',
  node: process.version,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  runs: RUNS,
  minRunMs: MIN_RUN_MS,
  clock: 'process CPU time (user+system)',
  loadAverage1m: Math.round(os.loadavg()[0] * 100) / 100,
  messageBytes: 200,
  perSecond,
  ratios,
  goals,
  meetsGoals: Object.fromEntries(Object.entries(goals).map(([k, g]) => [k, ratios[k as keyof typeof ratios] >= g])),
  sink: sink & 1
}))
