/**
 * Fuzz validateEnvelope: random bytes and mutations of valid envelopes (bit
 * flips, truncation, extension, insertion, deletion, splicing, and field-level
 * mutations re-encoded through the protons codecs). Every call must return a
 * result, never throw. Seeded, so a failure reproduces:
 *   FUNKPOST_FUZZ_SEED=<seed> FUNKPOST_FUZZ_N=<n> npx tap tests/mesh/fuzz.test.ts
 * A failing input is printed as hex; keep it as a regression vector (STYLE 15).
 */
import t from 'tap'
import crypto from 'node:crypto'
import { validateEnvelope, signEnvelope, Envelope, Body, Kind, Priority, toHex, type ValidationResult, type InvalidReason } from '../../mesh/envelope.js'
import { nobleEd25519, nativeEd25519 } from '../../mesh/ed25519.js'
import { MAX_CLOCK_SKEW_MS, MAX_LIFETIME_MS, SIGN_DOMAIN } from '../../mesh/constants.js'

const SEED = Number(process.env.FUNKPOST_FUZZ_SEED ?? 0x5eed1)
const N = Number(process.env.FUNKPOST_FUZZ_N ?? 100_000)
/** Bound on this process's CPU time (wall time would flake on a loaded machine), and a hard wall-clock stop. */
const CPU_LIMIT_MS = 30_000
const WALL_LIMIT_MS = 120_000
const now = 1_700_000_000_000
const REASONS: InvalidReason[] = ['oversize', 'malformed', 'version', 'kind', 'field-length', 'expired', 'future', 'lifetime', 'signature']

/** mulberry32: small, fast, seeded. */
function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}
const rand = prng(SEED)
const int = (n: number): number => Math.floor(rand() * n)
const pick = <T> (xs: readonly T[]): T => xs[int(xs.length)]
function bytes (n: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i += 4) {
    const x = (rand() * 4294967296) >>> 0
    out[i] = x; out[i + 1] = x >>> 8; out[i + 2] = x >>> 16; out[i + 3] = x >>> 24
  }
  return out
}
/** Mostly small lengths, a few large (up to 70,000: past the 64 KiB limit). */
const length = (): number => { const r = rand(); return r < 0.85 ? int(300) : r < 0.995 ? int(5000) : int(70_001) }

const authors = [1, 2, 3, 4].map(b => { const seed = new Uint8Array(32).fill(b); return { seed, pub: nativeEd25519.publicKey(seed) } })
const kinds = [Kind.DIRECT, Kind.CHANNEL, Kind.ACK, Kind.ANNOUNCE, Kind.CONTROL, Kind.KIND_UNSPECIFIED]
const priorities = [Priority.NORMAL, Priority.CRITICAL, Priority.LOW]
const times = [0, 1, now, now - 1, now + 1, now + MAX_CLOCK_SKEW_MS, now + MAX_CLOCK_SKEW_MS + 1, now + MAX_LIFETIME_MS, 2 ** 53 - 1, 2 ** 32]

/** Valid envelopes to mutate: several authors, kinds and payload sizes. */
const corpus: Uint8Array[] = []
for (let i = 0; i < 40; i++) {
  const a = pick(authors)
  const kind = pick(kinds.slice(0, 5))
  const created = now - int(3_600_000)
  corpus.push(signEnvelope(a.seed, {
    kind, from: a.pub, to: pick(authors).pub, created, expires: created + 3_600_000 + int(MAX_LIFETIME_MS - 3_600_000),
    priority: pick(priorities), ref: kind === Kind.ACK || rand() < 0.3 ? bytes(32) : undefined, payload: bytes(i < 30 ? int(400) : int(20_000))
  }).bytes)
}

function concat (...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

function sign (seed: Uint8Array, body: Uint8Array): Uint8Array<ArrayBuffer> {
  return nativeEd25519.sign(seed, concat(SIGN_DOMAIN, body)) as Uint8Array<ArrayBuffer>
}

function flipBits (b: Uint8Array): Uint8Array {
  const out = Uint8Array.from(b)
  for (let i = 1 + int(8); i > 0 && out.length > 0; i--) out[int(out.length)] ^= 1 << int(8)
  return out
}

function fieldMutation (base: Uint8Array): Uint8Array {
  const env = Envelope.decode(base)
  const body = Body.decode(env.body)
  const author = authors.find(a => toHex(a.pub) === toHex(body.from))!
  for (let m = 1 + int(3); m > 0; m--) {
    switch (int(10)) {
      case 0: body.v = pick([0, 1, 2, 0xffffffff]); break
      case 1: body.kind = pick(kinds); break
      case 2: body.from = (rand() < 0.5 ? bytes(int(40)) : pick(authors).pub) as Uint8Array<ArrayBuffer>; break
      case 3: body.to = bytes(pick([0, 31, 32, 32, 33, int(100)])) as Uint8Array<ArrayBuffer>; break
      case 4: body.created = rand() < 0.5 ? pick(times) : now + int(2 * MAX_CLOCK_SKEW_MS) - MAX_CLOCK_SKEW_MS; break
      case 5: body.expires = rand() < 0.5 ? pick(times) : Math.min(2 ** 53 - 1, body.created + int(2 * MAX_LIFETIME_MS)); break
      case 6: body.priority = pick(priorities); break
      case 7: body.ref = bytes(pick([0, 16, 31, 32, 33])) as Uint8Array<ArrayBuffer>; break
      case 8: body.payload = bytes(length()) as Uint8Array<ArrayBuffer>; break
      default: env.hops = (rand() * 4294967296) >>> 0
    }
  }
  const bodyBytes = Body.encode(body)
  const r = rand()
  // re-signed by the author (reaches the time and signature checks), kept, or garbage
  const sig = r < 0.6 ? sign(author.seed, bodyBytes) : r < 0.8 ? env.sig : bytes(pick([0, 63, 64, 64, 65]))
  return Envelope.encode({ body: bodyBytes, sig: sig as Uint8Array<ArrayBuffer>, hops: env.hops })
}

function input (): Uint8Array {
  const base = pick(corpus)
  switch (int(10)) {
    case 0: case 1: return bytes(length())
    case 2: return flipBits(base)
    case 3: return base.subarray(0, int(base.length))
    case 4: return concat(base, bytes(1 + int(rand() < 0.95 ? 64 : 70_000 - base.length)))
    case 5: { const at = int(base.length + 1); return concat(base.subarray(0, at), bytes(1 + int(8)), base.subarray(at)) }
    case 6: { const at = int(base.length); return concat(base.subarray(0, at), base.subarray(at + 1 + int(8))) }
    case 7: { const other = pick(corpus); return concat(base.subarray(0, int(base.length)), other.subarray(int(other.length))) }
    case 8: { // flip bits inside the body, then re-wrap (exercises Body decoding and the signature)
      const env = Envelope.decode(base)
      return Envelope.encode({ ...env, body: flipBits(env.body) as Uint8Array<ArrayBuffer> })
    }
    default: return fieldMutation(base)
  }
}

function wellFormed (r: ValidationResult): boolean {
  if (r === null || typeof r !== 'object') return false
  if (r.code === 'invalid') return REASONS.includes(r.reason)
  if (r.code !== 'valid') return false
  return r.id.length === 32 && toHex(r.id) === crypto.createHash('sha256').update(r.envelope.body).digest('hex') &&
    r.body.from.length === 32 && r.body.to.length === 32 && r.envelope.sig.length === 64
}

t.test(`validateEnvelope never throws (seed ${SEED}, ${N} inputs)`, async t => {
  const counts = new Map<string, number>()
  const failures: string[] = []
  let crossChecked = 0
  let disagreements = 0
  const start = performance.now()
  const cpuStart = process.cpuUsage()
  for (let i = 0; i < N; i++) {
    const bytes = input()
    let r: ValidationResult
    try {
      r = validateEnvelope(bytes, { now })
    } catch (err) {
      if (failures.length < 5) failures.push(`input ${i} threw ${(err as Error).name}: ${(err as Error).message}\nhex: ${toHex(bytes)}`)
      continue
    }
    if (!wellFormed(r)) {
      if (failures.length < 5) failures.push(`input ${i}: bad result ${JSON.stringify(r)}\nhex: ${toHex(bytes)}`)
      continue
    }
    const key = r.code === 'valid' ? 'valid' : r.reason
    counts.set(key, (counts.get(key) ?? 0) + 1)
    // noble (the reference) must agree with native wherever the signature decided
    if ((key === 'valid' || key === 'signature') && crossChecked < 300 && (i % 7 === 0)) {
      crossChecked++
      const n = validateEnvelope(bytes, { now, signer: nobleEd25519 })
      if ((n.code === 'valid' ? 'valid' : n.reason) !== key) {
        disagreements++
        if (failures.length < 5) failures.push(`input ${i}: native says ${key}, noble disagrees\nhex: ${toHex(bytes)}`)
      }
    }
    if ((i & 1023) === 0 && performance.now() - start > WALL_LIMIT_MS) {
      failures.push(`wall-clock limit: only ${i} of ${N} inputs in ${WALL_LIMIT_MS} ms`)
      break
    }
  }
  const elapsed = performance.now() - start
  const cpu = process.cpuUsage(cpuStart)
  const cpuMs = (cpu.user + cpu.system) / 1000
  for (const f of failures) console.error(`fuzz failure (FUNKPOST_FUZZ_SEED=${SEED}):\n${f}`)
  t.same(failures, [], 'no input threw or gave a malformed result')
  t.equal(disagreements, 0, `noble and native agree (${crossChecked} cross-checked)`)
  t.ok(cpuMs < CPU_LIMIT_MS, `${N} inputs in ${Math.round(cpuMs)} ms of CPU (${Math.round(elapsed)} ms wall)`)
  t.comment(`results: ${JSON.stringify(Object.fromEntries([...counts].sort()))}`)
  if (N >= 100_000) {
    for (const k of [...REASONS, 'valid']) t.ok((counts.get(k) ?? 0) > 0, `reached: ${k}`)
  }
  let total = 0
  for (const c of counts.values()) total += c
  t.equal(total, N, 'every input got a result')
})
