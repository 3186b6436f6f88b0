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
import { startNode, sealedDirect } from '../tests/integration/helpers.js'
import { identityFromSeed, type Identity } from '../node/identity.js'
import type { FunkpostNode } from '../node/node.js'

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
    const v2 = '/sys/fs/cgroup'
    const tries: Array<() => MemCgroup> = []
    if (fs.existsSync(path.join(v2, 'cgroup.controllers'))) {
      tries.push(() => MemCgroup.make(path.join(v2, name), 2, 'memory.max', limitBytes))
    }
    const v1line = fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n').find(l => l.split(':')[1]?.split(',').includes('memory'))
    if (v1line !== undefined && fs.existsSync('/sys/fs/cgroup/memory')) {
      tries.push(() => MemCgroup.make(path.join('/sys/fs/cgroup/memory', v1line.split(':')[2] ?? '/', name), 1, 'memory.limit_in_bytes', limitBytes))
    }
    const why: string[] = []
    for (const t of tries) {
      try { return t() } catch (err) { why.push((err as Error).message) }
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

/** VmRSS and VmHWM of a process, MiB. */
export function procMemory (pid: number): { rss: number, hwm: number } {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN)
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 }
}

/** The init script's node command, for the staged tree (LIBC=musl left out: this host is glibc). */
export const HEAP_MB = 64

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
  private readonly exited: Promise<void>

  private constructor (readonly init: RouterInit, readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8').on('data', (s: string) => { this.stdout += s })
    child.stderr?.setEncoding('utf8').on('data', (s: string) => { this.stderr += s })
    this.exited = new Promise(resolve => child.on('exit', code => { this.exitCode = code; resolve() }))
  }

  get pid (): number { return this.child.pid ?? -1 }
  get running (): boolean { return this.exitCode === undefined }

  /** Environment of the router and its CLI: the host's own classic-level addon stands in for the packaged musl one. */
  static env (home: string): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, FUNKPOST_HOME: home, CLASSIC_LEVEL_PREBUILD: path.join(ROOT, 'node_modules', 'classic-level') }
    for (const k of ['NODE_OPTIONS', 'LIBC', 'DEBUG']) delete env[k]
    return env
  }

  /** `funkpost init`, then `funkpost start --profile router` on loopback; resolves when `status` answers. */
  static async start (init: RouterInit): Promise<Router> {
    const made = cliSync(init.lib, init.home, ['init', '--home', init.home, '--name', 'router-1'])
    if (made.status !== 0) throw new Error(`funkpost init: ${made.stderr}`)
    const argv = [process.execPath, `--max-old-space-size=${HEAP_MB}`, ...(init.nodeArgs ?? []), `--import=${path.join(init.lib, 'polyfill.mjs')}`,
      path.join(init.lib, 'funkpost.mjs'), 'start', '--home', init.home, '--profile', 'router',
      '--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--no-dht', ...(init.extra ?? [])]
    // The shell joins the cgroup before it execs node, so node's whole life is capped and counted.
    const script = init.cgroup !== undefined ? 'echo $$ > "$0" && exec "$@"' : 'exec "$@"'
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

  memory (): { rss: number, hwm: number } { return procMemory(this.pid) }

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

function cliSync (lib: string, home: string, args: string[]): ReturnType<typeof spawnSync> {
  return spawnSync('/usr/bin/env', cliArgv(lib, args), { encoding: 'utf8', env: Router.env(home), cwd: os.tmpdir(), timeout: 30_000 })
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
 * n sealed, signed DIRECT envelopes (~480 bytes: a short text in the 256-byte
 * pad bucket) from `authors` authors to `recipients` recipients, none of them
 * the router: author i % authors writes to recipient ⌊i / authors⌋ % recipients,
 * so each author and each recipient holds n / authors resp. n / recipients.
 */
export function custodyEnvelopes (n: number, authors = 100, recipients = 100, now = Date.now()): Uint8Array[] {
  const id = (): Identity => identityFromSeed(new Uint8Array(crypto.randomBytes(32)))
  const from = Array.from({ length: authors }, id)
  const to = Array.from({ length: recipients }, id)
  const out: Uint8Array[] = []
  for (let i = 0; i < n; i++) {
    const created = now - (n - i) * 10
    out.push(sealedDirect(from[i % authors], to[Math.floor(i / authors) % recipients], `held for later #${i}`, { created, expires: created + 24 * 3_600_000 }).bytes)
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

async function heap (r: Router): Promise<{ heapUsed: number, heapTotal: number, external: number, arrayBuffers: number } | undefined> {
  const from = r.stderr.length
  r.child.kill('SIGUSR2')
  for (let i = 0; i < 40; i++) {
    const m = /FPMEM (\{.*\})/.exec(r.stderr.slice(from))
    if (m !== null) {
      const u = JSON.parse(m[1] ?? '{}') as Record<string, number>
      const mib = (k: string): number => round((u[k] ?? NaN) / MiB)
      return { heapUsed: mib('heapUsed'), heapTotal: mib('heapTotal'), external: mib('external'), arrayBuffers: mib('arrayBuffers') }
    }
    await sleep(25)
  }
  return undefined
}

const round = (x: number): number => Math.round(x * 10) / 10

async function main (): Promise<void> {
  const i = process.argv.indexOf('--n')
  const n = i >= 0 ? Number(process.argv[i + 1]) : 10_000
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'funkpost-router-mem-'))
  const cg = MemCgroup.create(128 * MiB, `funkpost-bench-${process.pid}`)
  const cgroup = typeof cg === 'string' ? undefined : cg
  let router: Router | undefined
  let node: FunkpostNode | undefined
  try {
    const lib = stageBundle(path.join(work, 'stage'))
    const bare = await bareNodeRss()
    const envs = custodyEnvelopes(n)
    node = await startNode({ name: 'holder' })
    await fillCustody(node, envs)
    router = await Router.start({ lib, home: path.join(work, 'router'), cgroup, nodeArgs: [`--import=${PROBE}`] })
    await sleep(3000)
    const idle = { ...router.memory(), heap: await heap(router) }
    const t0 = performance.now()
    await node.dial(router.addr)
    let count = 0
    for (let k = 0; k < 240 && count < n; k++) {
      await sleep(250)
      count = (await router.json<{ custody: { count: number } }>(['status'])).custody.count
    }
    const syncMs = Math.round(performance.now() - t0)
    const afterSync = { ...router.memory(), heap: await heap(router) }
    await sleep(5000)
    const settled = { ...router.memory(), heap: await heap(router) }
    process.stdout.write(JSON.stringify({
      envelopes: { n, held: count, bytes: envs.reduce((s, e) => s + e.length, 0) },
      rssMiB: {
        bareNode: round(bare),
        routerIdle: round(idle.rss),
        routerHolding: round(settled.rss),
        routerRightAfterSync: round(afterSync.rss),
        routerPeak: round(settled.hwm)
      },
      heapMiB: { idle: idle.heap, rightAfterSync: afterSync.heap, holding: settled.heap },
      syncMs,
      cgroup: cgroup !== undefined ? { version: cgroup.version, limitMiB: 128, peakMiB: round((cgroup.peak() ?? NaN) / MiB) } : cg,
      heapCapMiB: HEAP_MB,
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
