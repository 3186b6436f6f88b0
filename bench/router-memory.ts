/**
 * Memory of a router node: the OpenWrt bundle (openwrt/build.mjs --stage), run
 * the way /etc/init.d/funkpost runs it (node --max-old-space-size=64, the
 * staged polyfill and bundle, `start --profile router`), in a 128 MiB memory
 * cgroup where this host allows one. An in-process node holding 10,000
 * custody envelopes dials it; sync moves them over. Prints ONE JSON object:
 * RSS idle, RSS holding 10,000 envelopes, peak (VmHWM), RSS of a bare `node`,
 * the sync time, and the router's V8 heap at each point (read through a
 * SIGUSR2 probe preloaded for the benchmark only; the test runs without it).
 *
 *   npx esbuild bench/router-memory.ts --bundle --platform=node --format=esm --target=node20 \
 *     --external:classic-level --outfile=bench/.build/router-memory.mjs \
 *     --banner:js="import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);"
 *   node --import ./node/polyfill.js bench/.build/router-memory.mjs [--n 10000]
 *
 * The harness (staging, cgroup, router process, custody envelopes) is
 * exported for tests/openwrt/bundle.test.ts; main() runs only as the entry.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import crypto from 'node:crypto'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { startNode } from '../tests/integration/helpers.js'
import { signEnvelope, Kind, Priority } from '../mesh/envelope.js'
import { seal } from '../mesh/seal.js'
import { encodeContent, ContentType } from '../mesh/content.js'
import type { X25519 } from '../mesh/x25519.js'
import { identityFromSeed, type Identity } from '../node/identity.js'
import type { FunkpostNode } from '../node/node.js'
import { peerIdFromString } from '@libp2p/peer-id'

/** The repository root (this file runs from bench/ as .ts and from bench/.build/ bundled). */
export const ROOT = ((): string => {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 5 && !fs.existsSync(path.join(dir, 'openwrt', 'build.mjs')); i++) dir = path.dirname(dir)
  return dir
})()

const MiB = 1024 * 1024
const sleep = async (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

/** `node openwrt/build.mjs --stage DIR`; returns DIR/usr/lib/funkpost. */
export function stageBundle (dir: string): string {
  const r = spawnSync('/usr/bin/env', ['-u', 'NODE_OPTIONS', process.execPath, path.join(ROOT, 'openwrt', 'build.mjs'), '--stage', dir], { encoding: 'utf8', timeout: 120_000 })
  if (r.status !== 0) throw new Error(`openwrt/build.mjs --stage failed: ${r.stderr}`)
  return path.join(dir, 'usr', 'lib', 'funkpost')
}

/**
 * A memory cgroup for one process: cgroup v2 (/sys/fs/cgroup/funkpost-test-PID,
 * memory.max) or, on a v1 host, a child of this process's own memory cgroup
 * (memory.limit_in_bytes). undefined (with the reason) where neither is writable.
 */
export class MemCgroup {
  private constructor (readonly dir: string, readonly version: 1 | 2) {}

  static create (limitBytes: number, name = `funkpost-test-${process.pid}`): MemCgroup | string {
    const why: string[] = []
    const v1 = fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n').find(l => l.split(':')[1]?.split(',').includes('memory'))?.split(':')[2]
    const tries: Array<[string, 1 | 2, string]> = [
      ['/sys/fs/cgroup', 2, 'memory.max'],
      [path.join('/sys/fs/cgroup/memory', v1 ?? '/'), 1, 'memory.limit_in_bytes']
    ]
    for (const [parent, version, file] of tries) {
      if (!fs.existsSync(path.join(parent, version === 2 ? 'cgroup.controllers' : 'memory.limit_in_bytes'))) continue
      try { return MemCgroup.make(path.join(parent, name), version, file, limitBytes) } catch (err) { why.push((err as Error).message) }
    }
    return why.length > 0 ? why.join('; ') : 'no cgroup memory controller on this host'
  }

  private static make (dir: string, version: 1 | 2, file: string, limit: number): MemCgroup {
    fs.mkdirSync(dir)
    try {
      fs.writeFileSync(path.join(dir, file), String(limit))
      if (Number(fs.readFileSync(path.join(dir, file), 'utf8')) !== limit) throw new Error(`${file} did not take ${limit}`)
    } catch (err) {
      fs.rmdirSync(dir)
      throw err
    }
    return new MemCgroup(dir, version)
  }

  get procs (): string { return path.join(this.dir, 'cgroup.procs') }

  /** Highest memory use of the group (RSS plus page cache), bytes, where the kernel tells. */
  peak (): number | undefined {
    try { return Number(fs.readFileSync(path.join(this.dir, this.version === 2 ? 'memory.peak' : 'memory.max_usage_in_bytes'), 'utf8')) } catch { return undefined }
  }

  /** Move any process left to the parent group and remove the group. */
  remove (): void {
    try {
      for (const pid of fs.readFileSync(this.procs, 'utf8').split('\n').filter(p => p !== '')) {
        fs.writeFileSync(path.join(path.dirname(this.dir), 'cgroup.procs'), pid)
      }
      fs.rmdirSync(this.dir)
    } catch {}
  }
}

export interface ProcMemory {
  /** VmRSS, MiB: anon + file-backed (the node binary's mapped pages, ~46 MiB here) */
  rss: number
  /** VmHWM: peak RSS, MiB */
  hwm: number
  /** RssAnon, MiB: heap, LevelDB, malloc */
  anon: number
}

export function procMemory (pid: number): ProcMemory {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN)
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024, anon: kb('RssAnon') / 1024 }
}

/**
 * Node's own options as /etc/init.d/funkpost passes them (the words between
 * "$FUNKPOST_NODE" and "--import=" of its procd command), with $heap at the
 * UCI default of max_heap_mb: the router runs with whatever the package ships.
 */
export function initNodeArgs (init = path.join(ROOT, 'openwrt', 'funkpost', 'files', 'funkpost.init')): string[] {
  const text = fs.readFileSync(init, 'utf8')
  const heap = /config_get heap main max_heap_mb (\d+)/.exec(text)?.[1]
  const command = /procd_set_param command "\$FUNKPOST_NODE"([^]*?)"--import=/.exec(text)?.[1]
  if (heap === undefined || command === undefined) throw new Error(`${init}: no procd command with "$FUNKPOST_NODE" … "--import=" or no max_heap_mb default`)
  return command.replace(/\\\n/g, ' ').split(/\s+/).filter(w => w !== '').map(w => w.replace(/^"|"$/g, '').replace('$heap', heap))
}

export interface RouterInit {
  lib: string
  home: string
  cgroup?: MemCgroup
  /** Extra node options before the bundle (the benchmark's heap probe). */
  nodeArgs?: string[]
  extra?: string[]
  /** Extra environment (e.g. DEBUG for a diagnostic run). */
  env?: Record<string, string>
}

/** One router node process, run from the staged bundle. */
export class Router {
  stdout = ''
  stderr = ''
  id = ''
  addr = ''
  private exitCode: number | null | undefined
  private exitSignal: NodeJS.Signals | null = null
  private readonly exited: Promise<void>

  private constructor (readonly init: RouterInit, readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8').on('data', (s: string) => { this.stdout += s })
    child.stderr?.setEncoding('utf8').on('data', (s: string) => { this.stderr += s })
    this.exited = new Promise(resolve => child.on('exit', (code, signal) => { this.exitCode = code; this.exitSignal = signal; resolve() }))
  }

  get pid (): number { return this.child.pid ?? -1 }
  get running (): boolean { return this.exitCode === undefined }

  /** Environment of the router and its CLI: the host's own classic-level addon stands in for the packaged musl one. */
  static env (home: string): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, FUNKPOST_HOME: home, CLASSIC_LEVEL_PREBUILD: path.join(ROOT, 'node_modules', 'classic-level') }
    for (const k of ['NODE_OPTIONS', 'LIBC', 'DEBUG']) delete env[k]
    return env
  }

  /**
   * `funkpost init`, then `start` with the init script's node command and
   * flags (LIBC=musl left out: this host is glibc), on loopback without mDNS
   * and DHT; resolves when `status` answers.
   */
  static async start (init: RouterInit): Promise<Router> {
    const made = await cliAsync(init.lib, init.home, ['init', '--home', init.home, '--name', 'router-1'], 30_000)
    if (made.code !== 0) throw new Error(`funkpost init: ${made.stderr}`)
    const argv = [process.execPath, ...initNodeArgs(), ...(init.nodeArgs ?? []), `--import=${path.join(init.lib, 'polyfill.mjs')}`,
      path.join(init.lib, 'funkpost.mjs'), 'start', '--home', init.home, '--profile', 'router',
      '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--no-dht', ...(init.extra ?? [])]
    // The shell joins the cgroup before it execs node, so node's whole life is capped and counted.
    // It also drops NODE_OPTIONS, which tap's processinfo puts back into every child's environment.
    const script = `unset NODE_OPTIONS; ${init.cgroup !== undefined ? 'echo $$ > "$0" && ' : ''}exec "$@"`
    const child = spawn('/bin/sh', ['-c', script, init.cgroup?.procs ?? 'sh', ...argv], { env: { ...Router.env(init.home), ...init.env }, cwd: os.tmpdir(), stdio: ['ignore', 'pipe', 'pipe'] })
    const r = new Router(init, child)
    for (let i = 0; i < 400 && !/control socket /.test(r.stdout); i++) {
      if (!r.running) throw new Error(`router exited ${r.exitCode}: ${r.stderr}`)
      await sleep(50)
    }
    if (!/control socket /.test(r.stdout)) throw new Error(`router did not start in 20 s: ${r.stdout}${r.stderr}`)
    const s = await r.json<{ id: string, addrs: string[] }>(['status'])
    r.id = s.id
    r.addr = `${s.addrs[0]}`
    return r
  }

  /** How it ended, with the end of its stderr (an abort for want of heap says so there). */
  get exit (): string {
    return this.running ? 'running' : `exited ${this.exitCode ?? this.exitSignal}: ${this.stderr.slice(-1500)}`
  }

  memory (): ProcMemory {
    if (!this.running) throw new Error(`router ${this.exit}`)
    return procMemory(this.pid)
  }

  /** Run a `funkpost` command against this router's home (the packaged bundle). */
  async cli (args: string[], timeoutMs = 20_000): Promise<{ code: number | null, stdout: string, stderr: string }> {
    return cliAsync(this.init.lib, this.init.home, args, timeoutMs)
  }

  async json<T> (args: string[]): Promise<T> {
    const r = await this.cli([...args, '--home', this.init.home, '--json'])
    if (r.code !== 0) throw new Error(`funkpost ${args.join(' ')} exited ${r.code}: ${r.stderr}`)
    return JSON.parse(r.stdout) as T
  }

  /** Stop as procd does (SIGTERM, then SIGKILL after timeoutMs). */
  async stop (timeoutMs = 10_000): Promise<void> {
    if (!this.running) return
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs)
    await this.exited
    clearTimeout(timer)
  }
}

function cliArgv (lib: string, args: string[]): string[] {
  return ['-u', 'NODE_OPTIONS', process.execPath, `--import=${path.join(lib, 'polyfill.mjs')}`, path.join(lib, 'funkpost.mjs'), ...args]
}

async function cliAsync (lib: string, home: string, args: string[], timeoutMs: number): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/env', cliArgv(lib, args), { env: Router.env(home), cwd: os.tmpdir(), stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s })
    child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', code => { clearTimeout(timer); resolve({ code, stdout, stderr }) })
  })
}

/**
 * X25519 for sealing thousands of envelopes in one loop, with DER key export:
 * on Node 20.20, generateKeyPairSync('x25519') + export({ format: 'jwk' })
 * (mesh/x25519.ts's native path) in a loop deadlocks in a GC finaliser (~KeyGenJob).
 */
const X_PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex')
const X_SPKI = Buffer.from('302a300506032b656e032100', 'hex')
const ephemeral = new WeakMap<Uint8Array, crypto.KeyObject>()
const recipients = new Map<string, crypto.KeyObject>()
const derX25519: X25519 = {
  name: 'bench-der',
  generate () {
    const { publicKey, privateKey } = crypto.generateKeyPairSync('x25519')
    const secret = new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(X_PKCS8.length))
    ephemeral.set(secret, privateKey)
    return { secret, publicKey: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(X_SPKI.length)) }
  },
  shared (secret, publicKey) {
    const k = Buffer.from(publicKey).toString('hex')
    let pub = recipients.get(k)
    if (pub === undefined) recipients.set(k, pub = crypto.createPublicKey({ key: Buffer.concat([X_SPKI, publicKey]), format: 'der', type: 'spki' }))
    const priv = ephemeral.get(secret) ?? crypto.createPrivateKey({ key: Buffer.concat([X_PKCS8, secret]), format: 'der', type: 'pkcs8' })
    return new Uint8Array(crypto.diffieHellman({ privateKey: priv, publicKey: pub }))
  }
}

/**
 * n sealed, signed DIRECT envelopes (~460 bytes: a short text in the 256-byte
 * pad bucket), made as store-forward/mailroom.ts send() makes them, from
 * `authors` authors to `recipients` recipients, none of them the router:
 * author i % authors writes to recipient ⌊i / authors⌋ % recipients, so each
 * author and each recipient has n / authors resp. n / recipients of them.
 */
export function custodyEnvelopes (n: number, authors = 100, recipients = 100, now = Date.now()): Uint8Array[] {
  const id = (): Identity => identityFromSeed(new Uint8Array(crypto.randomBytes(32)))
  const from = Array.from({ length: authors }, id)
  const to = Array.from({ length: recipients }, id)
  const out: Uint8Array[] = []
  for (let i = 0; i < n; i++) {
    const a = from[i % authors] as Identity
    const created = now - (n - i) * 10
    const header = { from: a.publicKey, to: (to[Math.floor(i / authors) % recipients] as Identity).publicKey, created, expires: created + 24 * 3_600_000 }
    const payload = seal(encodeContent({ type: ContentType.TEXT, text: `held for later #${i}` }), header, derX25519)
    out.push(signEnvelope(a.seed, { kind: Kind.DIRECT, ...header, priority: Priority.NORMAL, payload }).bytes)
  }
  return out
}

/** Put envelopes into node's custody as if they had arrived (16 at a time); throws unless every one is held. */
export async function fillCustody (node: FunkpostNode, envs: Uint8Array[]): Promise<void> {
  let next = 0
  const bad: string[] = []
  const worker = async (): Promise<void> => {
    while (next < envs.length) {
      const r = await node.receiveBytes(envs[next++], 'local')
      if (r.code !== 'held' && bad.length < 5) bad.push(r.code + (r.reason !== undefined ? `:${r.reason}` : ''))
    }
  }
  await Promise.all(Array.from({ length: 16 }, worker))
  if (bad.length > 0) throw new Error(`custody refused envelopes: ${bad.join(', ')}`)
}

export interface SyncWait { ms: number, count: number, retries: number, failures: string[] }

/**
 * Poll the router's `status --json` until it holds n custody envelopes (at
 * most timeoutMs). Sync starts by itself on connect; when the count has not
 * moved for stallMs and nothing is running, the node starts a session itself
 * (`node.sync.run`), so a failed session is retried at once, not at the next
 * periodic sync.
 */
export async function waitCustody (router: Router, node: FunkpostNode, n: number, timeoutMs: number, stallMs = 5000): Promise<SyncWait> {
  const t0 = performance.now()
  const peer = peerIdFromString(router.id)
  const failures: string[] = []
  let retries = 0
  let count = 0
  let moved = t0
  let session: Promise<void> | undefined
  for (let i = 0; i < 10_000 && count < n && performance.now() - t0 < timeoutMs; i++) {
    await sleep(400)
    if (!router.running) throw new Error(`router (holding ${count} of ${n}) ${router.exit}`)
    const now = (await router.json<{ custody: { count: number } }>(['status'])).custody.count
    if (now !== count) { count = now; moved = performance.now() }
    if (count < n && session === undefined && performance.now() - moved > stallMs) {
      retries++
      moved = performance.now()
      session = node.sync.run(peer).then(() => {}, err => { failures.push((err as Error).message) }).finally(() => { session = undefined })
    }
  }
  await session
  return { ms: Math.round(performance.now() - t0), count, retries, failures }
}

/** RSS of a bare `node` that only waits (MiB). */
export async function bareNodeRss (): Promise<number> {
  const child = spawn('/usr/bin/env', ['-u', 'NODE_OPTIONS', process.execPath, '-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })
  try {
    await sleep(800)
    return procMemory(child.pid ?? -1).rss
  } finally {
    child.kill('SIGKILL')
  }
}

// ---- the benchmark ---------------------------------------------------------

/** Preloaded into the benchmark's router only: SIGUSR2 prints process.memoryUsage() to stderr. */
const PROBE = 'data:text/javascript,' + encodeURIComponent("process.on('SIGUSR2', () => process.stderr.write('FPMEM ' + JSON.stringify(process.memoryUsage()) + '\\n'))")

const round = (x: number): number => Math.round(x * 10) / 10

/** The router's memory now: /proc figures and (through the probe) V8's. */
async function snapshot (r: Router): Promise<Record<string, number | undefined>> {
  const from = r.stderr.length
  r.child.kill('SIGUSR2')
  let u: Record<string, number> = {}
  for (let i = 0; i < 40; i++) {
    const m = /FPMEM (\{.*\})/.exec(r.stderr.slice(from))
    if (m !== null) { u = JSON.parse(m[1] ?? '{}') as Record<string, number>; break }
    await sleep(25)
  }
  const p = r.memory()
  const mib = (x: number | undefined): number | undefined => x === undefined ? undefined : round(x / MiB)
  return { rss: round(p.rss), anon: round(p.anon), heapUsed: mib(u.heapUsed), heapTotal: mib(u.heapTotal), external: mib(u.external) }
}

function args (): { n: number, lib?: string, nodeArgs: string[], settleMs: number } {
  const a = process.argv.slice(2)
  const value = (name: string): string | undefined => { const i = a.indexOf(name); return i >= 0 ? a[i + 1] : undefined }
  return {
    n: Number(value('--n') ?? 10_000),
    lib: value('--lib'),
    nodeArgs: a.flatMap((x, i) => x === '--node-arg' ? [a[i + 1] ?? ''] : []),
    settleMs: Number(value('--settle') ?? 10) * 1000
  }
}

/** Options: --n N (envelopes), --lib DIR (a staged usr/lib/funkpost instead of staging this tree), --node-arg ARG (repeat), --settle S. */
async function main (): Promise<void> {
  const opt = args()
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'funkpost-router-mem-'))
  const cg = MemCgroup.create(128 * MiB, `funkpost-bench-${process.pid}`)
  const cgroup = typeof cg === 'string' ? undefined : cg
  let router: Router | undefined
  let node: FunkpostNode | undefined
  try {
    const lib = opt.lib ?? stageBundle(path.join(work, 'stage'))
    const bare = await bareNodeRss()
    const envs = custodyEnvelopes(opt.n)
    node = await startNode({ name: 'holder' })
    await fillCustody(node, envs)
    router = await Router.start({ lib, home: path.join(work, 'router'), cgroup, nodeArgs: [...opt.nodeArgs, `--import=${PROBE}`] })
    await sleep(3000)
    const idle = await snapshot(router)
    await node.dial(router.addr)
    const sync = await waitCustody(router, node, opt.n, 180_000)
    const afterSync = await snapshot(router)
    await sleep(opt.settleMs)
    const holding = await snapshot(router)
    process.stdout.write(JSON.stringify({
      envelopes: { n: opt.n, held: sync.count, mib: round(envs.reduce((s, e) => s + e.length, 0) / MiB) },
      rssMiB: { bareNode: round(bare), routerIdle: idle.rss, routerHolding: holding.rss, routerPeak: round(router.memory().hwm) },
      syncMs: sync.ms,
      sync: { retries: sync.retries, failures: sync.failures, holderStats: node.sync.stats },
      router: { idle, afterSync, holding: { ...holding, afterMs: opt.settleMs } },
      cgroup: cgroup !== undefined ? { version: cgroup.version, limitMiB: 128, peakMiB: round((cgroup.peak() ?? NaN) / MiB) } : cg,
      nodeArgs: [...initNodeArgs(), ...opt.nodeArgs],
      node: process.version
    }) + '\n')
  } finally {
    await router?.stop()
    await node?.stop()
    cgroup?.remove()
    fs.rmSync(work, { recursive: true, force: true })
  }
}

// As the entry only (bundled, import.meta.url is the bundle's, whoever imports this).
if (/^router-memory\.(ts|m?js)$/.test(path.basename(process.argv[1] ?? ''))) {
  main().catch(err => { process.stderr.write(`${(err as Error).stack}\n`); process.exit(1) })
}
