/**
 * Helpers for process-level tests of the `funkpost` command: build the
 * esbuild bundle once (atomically, so parallel test files never load a
 * half-written one), run `node cli/bin.js ...` against temporary homes,
 * start daemons on loopback with mDNS and the DHT off, and wait on their
 * output with bounded deadlines.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const root = fileURLToPath(new URL('../../', import.meta.url))
export const bin = path.join(root, 'cli', 'bin.js')
export const bundle = path.join(root, 'dist', 'funkpost.js')

/** Every test node: loopback only, no multicast, no DHT. */
export const LOOPBACK = ['--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns', '--no-dht']
export const ID_RE = /12D3KooW[1-9A-HJ-NP-Za-km-z]{44}/
export const HEX64_RE = /^[0-9a-f]{64}$/

interface Teardown { teardown: (fn: () => void | Promise<void>) => void }

const SOURCE_DIRS = ['cli', 'node', 'mesh', 'store-forward', 'transports']

function newestSource (dir: string): number {
  let newest = 0
  let entries: fs.Dirent[]
  try { entries = fs.readdirSync(dir, { withFileTypes: true }) } catch { return 0 }
  for (const e of entries) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p))
    else if (/\.(ts|js)$/.test(e.name)) newest = Math.max(newest, fs.statSync(p).mtimeMs)
  }
  return newest
}

/**
 * Rebuild dist/funkpost.js when any source is newer. The bundle is written
 * beside and renamed into place, so a test file that builds while another
 * runs `funkpost` never sees a partial bundle.
 */
export function ensureBuilt (): void {
  const sources = Math.max(...SOURCE_DIRS.map(d => newestSource(path.join(root, d))))
  if (fs.existsSync(bundle) && fs.statSync(bundle).mtimeMs >= sources) return
  const script = String(JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).scripts.build)
  const target = '--outfile=dist/funkpost.js'
  const tmp = path.join('dist', `.funkpost.${process.pid}.tmp.js`)
  const env = { ...process.env, PATH: `${path.join(root, 'node_modules', '.bin')}${path.delimiter}${process.env.PATH ?? ''}` }
  const r = script.includes(target)
    ? spawnSync('/usr/bin/env', ['-u', 'NODE_OPTIONS', 'sh', '-c', script.replace(target, `--outfile=${tmp}`)], { cwd: root, env, encoding: 'utf8', timeout: 120_000 })
    : spawnSync('/usr/bin/env', ['-u', 'NODE_OPTIONS', 'npm', 'run', 'build'], { cwd: root, encoding: 'utf8', timeout: 120_000 })
  if (r.status !== 0) throw new Error(`building the bundle failed: ${r.stderr}`)
  if (script.includes(target)) fs.renameSync(path.join(root, tmp), bundle)
}

/**
 * How to run node for a child: through `env -u NODE_OPTIONS`, because tap's
 * processinfo puts its loader into NODE_OPTIONS of every child it sees spawned,
 * which more than doubles each `funkpost` run (0.5 s → 1.3 s here). `env`
 * execs node, so the child's pid is node's and signals reach it.
 */
export function nodeCommand (args: string[]): [string, string[]] {
  return ['/usr/bin/env', ['-u', 'NODE_OPTIONS', process.execPath, ...args]]
}

/** The environment of a child: ours, without FUNKPOST_* or DEBUG settings leaking in. */
export function childEnv (extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env }
  for (const k of Object.keys(env)) if (k.startsWith('FUNKPOST_') || k === 'DEBUG') delete env[k]
  return { ...env, ...extra }
}

export function tempDir (t: Teardown, prefix = 'funkpost-sys-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

export interface Run { code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string }

/** Run `funkpost ARGS...` to completion (killed after timeoutMs). */
export function cli (args: string[], opts: { env?: Record<string, string>, timeoutMs?: number, input?: string, cwd?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const [cmd, argv] = nodeCommand([bin, ...args])
    const child = spawn(cmd, argv, { cwd: opts.cwd ?? root, env: childEnv(opts.env) })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s })
    child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s })
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20_000)
    child.on('error', reject)
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }) })
    child.stdin.end(opts.input ?? '')
  })
}

/** Run a command that must succeed with --json, and parse its stdout. */
export async function cliJson<T = any> (args: string[]): Promise<T> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const r = await cli([...args, '--json'])
  if (r.code !== 0) throw new Error(`funkpost ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`)
  return JSON.parse(r.stdout)
}

/** Poll fn until it returns something other than undefined/false, at most timeoutMs. */
export async function waitFor<T> (what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000, stepMs = 150): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (let i = 0; i < 10_000; i++) {
    try {
      const v = await fn()
      if (v !== undefined && v !== false) return v
    } catch (err) { last = err }
    if (Date.now() > deadline) break
    await new Promise(resolve => setTimeout(resolve, stepMs))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last !== undefined ? ` (last error: ${(last as Error).message})` : ''}`)
}

/** A long-running funkpost process (start, chat) whose output the test reads as it comes. */
export class Proc {
  stdout = ''
  stderr = ''
  readonly exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  exitCode: number | null | undefined

  constructor (readonly child: ChildProcess, readonly label: string) {
    child.stdout?.setEncoding('utf8').on('data', (s: string) => { this.stdout += s })
    child.stderr?.setEncoding('utf8').on('data', (s: string) => { this.stderr += s })
    this.exited = new Promise(resolve => child.on('exit', (code, signal) => { this.exitCode = code; resolve({ code, signal }) }))
  }

  get running (): boolean { return this.exitCode === undefined }

  /** Wait until stdout (from `from` on) matches re; returns the match. */
  async waitOut (re: RegExp, timeoutMs = 15_000, from = 0): Promise<RegExpExecArray> {
    return waitFor(`${this.label} to print ${re} (stdout so far:\n${this.stdout}\nstderr:\n${this.stderr})`, () => {
      if (!this.running && re.exec(this.stdout.slice(from)) === null) throw new Error(`${this.label} exited ${this.exitCode}: ${this.stderr}`)
      return re.exec(this.stdout.slice(from)) ?? undefined
    }, timeoutMs, 50)
  }

  write (line: string): void { this.child.stdin?.write(line + '\n') }

  /** Wait (bounded) for the process to exit by itself; SIGKILL after timeoutMs. */
  async waitExit (timeoutMs = 8000): Promise<{ code: number | null, signal: NodeJS.Signals | null }> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs)
    try { return await this.exited } finally { clearTimeout(timer) }
  }

  /** Send a signal and wait (bounded) for the exit. */
  async stop (signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 8000): Promise<{ code: number | null, signal: NodeJS.Signals | null }> {
    if (this.running) this.child.kill(signal)
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs)
    try { return await this.exited } finally { clearTimeout(timer) }
  }
}

/** Spawn `funkpost ARGS...` in the background; stopped at teardown if still running. */
export function spawnCli (t: Teardown, args: string[], label = args[0] ?? 'funkpost', env: Record<string, string> = {}): Proc {
  const [cmd, argv] = nodeCommand([bin, ...args])
  const child = spawn(cmd, argv, { cwd: root, env: childEnv(env), stdio: ['pipe', 'pipe', 'pipe'] })
  const p = new Proc(child, label)
  t.teardown(async () => { if (p.running) await p.stop() })
  return p
}

export interface TestNode { proc: Proc, home: string, id: string, addr: string }

/** `funkpost init --name NAME` on a new home inside dir. */
export async function initHome (dir: string, name: string): Promise<{ home: string, id: string }> {
  const home = path.join(dir, name)
  const r = await cliJson<{ id: string }>(['init', '--home', home, '--name', name])
  return { home, id: r.id }
}

/** `funkpost start` on loopback; resolves once its control socket answers, with its id and first address from `status --json`. */
export async function startNode (t: Teardown, home: string, extra: string[] = []): Promise<TestNode> {
  const proc = spawnCli(t, ['start', '--home', home, ...LOOPBACK, ...extra], `start ${path.basename(home)}`)
  await proc.waitOut(/control socket /, 20_000)
  const s = await cliJson<{ id: string, addrs: string[] }>(['status', '--home', home])
  if (s.addrs.length === 0) throw new Error(`${home}: status shows no address`)
  return { proc, home, id: s.id, addr: s.addrs[0] }
}
