/**
 * Helpers for the Tor/SOCKS system tests (tor-bridge, only-tor, tor-onion):
 * network namespaces and veth pairs that a test creates and removes, real
 * processes (the funkpost CLI, microsocks, tor) started inside them, bounded
 * waits, and `ss` output parsed into sockets. Root only; a test calls
 * `labUnavailable()` first and skips with its message, then `ensureBuilt()`.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { ControlClient } from '../../node/control.js'

export const root = fileURLToPath(new URL('../../', import.meta.url))
export const bin = path.join(root, 'cli', 'bin.js')
const bundle = path.join(root, 'dist', 'funkpost.js')
export const sleep = async (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))
export const ID = /12D3KooW[1-9A-HJ-NP-Za-km-z]{44}/

/**
 * The environment of a child process: ours without NODE_OPTIONS (tap puts its
 * loaders there, which more than doubles every `funkpost` start-up) and
 * without FUNKPOST_* or DEBUG settings leaking in.
 */
function childEnv (extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env }
  for (const k of Object.keys(env)) if (k.startsWith('FUNKPOST_') || k === 'DEBUG' || k === 'NODE_OPTIONS') delete env[k]
  return { ...env, ...extra }
}

const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0

/** Why this machine cannot run the test (no root, no namespaces, packages missing), or undefined. */
export function labUnavailable (packages: Record<string, string>): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)'
  const missing = Object.entries(packages).filter(([cmd]) => !has(cmd)).map(([, pkg]) => pkg)
  if (missing.length > 0) {
    const install = (): void => { spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...new Set(missing)], { stdio: 'ignore', timeout: 240_000 }) }
    install()
    if (Object.keys(packages).some(cmd => !has(cmd))) {
      spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore', timeout: 180_000 })
      install()
    }
    const still = Object.keys(packages).filter(cmd => !has(cmd))
    if (still.length > 0) return `missing ${still.join(', ')} and apt-get install ${missing.join(' ')} failed`
  }
  const probe = `fpprobe${process.pid}`
  const r = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' })
  if (r.status !== 0) return `cannot create a network namespace: ${r.stderr.trim()}`
  spawnSync('ip', ['netns', 'del', probe])
  return undefined
}

/**
 * Build dist/funkpost.js if a source file is newer, without disturbing a
 * test that runs the old bundle: one builder at a time (a lock directory),
 * built to a temp file and renamed into place. Throws if there is no bundle
 * and the build fails.
 */
export function ensureBuilt (): void {
  const newest = (): number => {
    let t = 0
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name)
        if (e.isDirectory()) walk(p)
        else if (e.name.endsWith('.ts')) t = Math.max(t, fs.statSync(p).mtimeMs)
      }
    }
    for (const d of ['cli', 'node', 'mesh', 'store-forward', 'transports']) walk(path.join(root, d))
    return t
  }
  const stale = (): boolean => !fs.existsSync(bundle) || fs.statSync(bundle).mtimeMs < newest()
  if (!stale()) return
  const lock = path.join(root, 'dist', '.build-lock')
  fs.mkdirSync(path.dirname(lock), { recursive: true })
  const deadline = Date.now() + 120_000
  for (;;) {
    try { fs.mkdirSync(lock); break } catch {}
    if (Date.now() > deadline) throw new Error('timed out waiting for another build (dist/.build-lock)')
    // a lock older than 2 minutes belongs to a builder that died
    try { if (Date.now() - fs.statSync(lock).mtimeMs > 120_000) fs.rmdirSync(lock) } catch {}
    spawnSync('sleep', ['0.2'])
  }
  try {
    if (!stale()) return
    const tmp = `${bundle}.${process.pid}.tmp`
    const script = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).scripts.build as string
    const r = spawnSync('sh', ['-c', script.replace('--outfile=dist/funkpost.js', `--outfile=${tmp}`)],
      { cwd: root, encoding: 'utf8', timeout: 120_000, env: childEnv({ PATH: `${root}node_modules/.bin:${process.env.PATH ?? ''}` }) })
    if (r.status !== 0) {
      fs.rmSync(tmp, { force: true })
      // sources mid-edit by someone else: the existing bundle is still a funkpost
      if (!fs.existsSync(bundle)) throw new Error(`npm run build failed: ${r.stderr}`)
      return
    }
    fs.renameSync(tmp, bundle)
  } finally {
    fs.rmdirSync(lock)
  }
}

export interface Proc {
  child: ChildProcess
  pid: number
  /** Everything the process wrote so far (stdout and stderr). */
  output: () => string
  /** Resolves with the first match of `re` in the output; rejects after `ms` or on exit. */
  waitFor: (re: RegExp, ms: number) => Promise<RegExpMatchArray>
  /** SIGTERM, then SIGKILL after 5 s; resolves when it has exited. */
  stop: () => Promise<void>
}

export interface SsSocket { state: string, local: string, peer: string, pids: number[] }

/** Parse `ss -tanpH` / `ss -uanpH` lines. */
export function parseSs (text: string): SsSocket[] {
  return text.split('\n').filter(l => l.trim() !== '').map(l => {
    const cols = l.trim().split(/\s+/)
    const pids = [...l.matchAll(/pid=(\d+)/g)].map(m => Number(m[1]))
    return { state: cols[0], local: cols[3], peer: cols[4], pids }
  })
}

/** A set of namespaces, links, files and processes, all removed by `cleanup()` (also on process exit). */
export class Lab {
  private readonly tag: string
  private readonly namespaces: string[] = []
  private readonly procs: Proc[] = []
  private readonly dirs: string[] = []
  private links = 0
  private readonly clients = new Map<string, Promise<ControlClient>>()
  private readonly onExit = (): void => { this.cleanupSync() }

  constructor (tag: string) {
    reapStale(`fp${tag}`)
    this.tag = `fp${tag}${process.pid}` // ≤ 13 chars: veth names (tag + n + a|b) stay under 15
    process.once('exit', this.onExit)
  }

  /** A fresh namespace with loopback up; returns its name. */
  ns (name: string): string {
    const ns = `${this.tag}-${name}`
    ip('netns', 'add', ns)
    this.namespaces.push(ns)
    ip('-n', ns, 'link', 'set', 'lo', 'up')
    return ns
  }

  /** A veth pair between two namespaces, each end with an address on a /24. */
  link (a: string, ipA: string, b: string, ipB: string): void {
    const n = this.links++
    const ea = `${this.tag}${n}a`
    const eb = `${this.tag}${n}b`
    ip('link', 'add', ea, 'netns', a, 'type', 'veth', 'peer', 'name', eb, 'netns', b)
    ip('-n', a, 'addr', 'add', `${ipA}/24`, 'dev', ea)
    ip('-n', b, 'addr', 'add', `${ipB}/24`, 'dev', eb)
    ip('-n', a, 'link', 'set', ea, 'up')
    ip('-n', b, 'link', 'set', eb, 'up')
  }

  /** /etc/hosts as seen by processes started in `ns` (`ip netns exec` bind-mounts /etc/netns/NS/hosts). */
  hosts (ns: string, lines: string[]): void {
    const dir = path.join('/etc/netns', ns)
    fs.mkdirSync(dir, { recursive: true })
    this.dirs.push(dir)
    fs.writeFileSync(path.join(dir, 'hosts'), ['127.0.0.1 localhost', ...lines, ''].join('\n'))
  }

  tmp (): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${this.tag}-`))
    this.dirs.push(dir)
    return dir
  }

  /**
   * Start `cmd args` inside `ns`. `ip netns exec` and `setpriv` both exec, so
   * the pid is the command's own; --pdeathsig KILL ends it even if this test
   * process is killed before its teardown runs.
   */
  spawn (ns: string, cmd: string, args: string[], env: Record<string, string> = {}): Proc {
    const child = spawn('ip', ['netns', 'exec', ns, 'setpriv', '--pdeathsig', 'KILL', cmd, ...args],
      { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv(env) })
    let out = ''
    const listeners = new Set<() => void>()
    const onData = (b: Buffer): void => { out += b.toString(); for (const l of listeners) l() }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    const exited = new Promise<void>(resolve => child.once('exit', () => { resolve(); for (const l of listeners) l() }))
    const proc: Proc = {
      child,
      pid: child.pid ?? -1,
      output: () => out,
      waitFor: async (re, ms) => new Promise((resolve, reject) => {
        const check = (): void => {
          const m = re.exec(out)
          if (m !== null) { done(); resolve(m); return }
          if (child.exitCode !== null || child.signalCode !== null) { done(); reject(new Error(`${cmd} exited (${child.exitCode ?? child.signalCode}) before ${String(re)}:\n${out}`)) }
        }
        const timer = setTimeout(() => { done(); reject(new Error(`no ${String(re)} from ${cmd} within ${ms} ms:\n${out}`)) }, ms)
        const done = (): void => { clearTimeout(timer); listeners.delete(check) }
        listeners.add(check)
        check()
      }),
      stop: async () => {
        if (child.exitCode !== null || child.signalCode !== null) return
        child.kill('SIGTERM')
        const ok = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)])
        if (!ok) { child.kill('SIGKILL'); await Promise.race([exited, sleep(2000)]) }
      }
    }
    this.procs.push(proc)
    return proc
  }

  /** Does a TCP connect from `ns` to host:port succeed within 2 s? */
  tcpOpen (ns: string, host: string, port: number): boolean {
    const r = spawnSync('ip', ['netns', 'exec', ns, 'timeout', '2', 'bash', '-c', `exec 3<>/dev/tcp/${host}/${port}`], { stdio: 'ignore' })
    return r.status === 0
  }

  /** net.ipv4.ip_forward=0 inside `ns` (through /proc, so procps' sysctl is not needed); throws unless it reads back 0. */
  noForwarding (ns: string): void {
    const out = this.run(ns, 'sh', ['-c', 'echo 0 > /proc/sys/net/ipv4/ip_forward && cat /proc/sys/net/ipv4/ip_forward'])
    if (out.trim() !== '0') throw new Error(`ip_forward in ${ns} is ${out.trim()}`)
  }

  /** `ss -<flags>anpH` inside `ns`, parsed. */
  ss (ns: string, proto: 't' | 'u'): SsSocket[] {
    const r = spawnSync('ip', ['netns', 'exec', ns, 'ss', `-${proto}anpH`], { encoding: 'utf8' })
    return parseSs(r.stdout)
  }

  /** Run a short command inside `ns` (`ip route …`); throws on failure. */
  run (ns: string, cmd: string, args: string[]): string {
    const r = spawnSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', timeout: 10_000 })
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} in ${ns}: ${r.stderr}`)
    return r.stdout
  }

  /**
   * A control-socket client of the node running for `home` (the API every
   * CLI command calls), cached; for polling without a CLI start-up each time.
   */
  async api (home: string): Promise<ControlClient> {
    let c = this.clients.get(home)
    if (c === undefined) {
      c = ControlClient.connect(home)
      this.clients.set(home, c)
      let client: ControlClient
      try { client = await c } catch (err) { this.clients.delete(home); throw err }
      client.onClose = () => { this.clients.delete(home) }
    }
    return c
  }

  async cleanup (): Promise<void> {
    for (const c of this.clients.values()) await c.then(x => { x.close() }, () => {})
    this.clients.clear()
    await Promise.all(this.procs.map(async p => p.stop()))
    this.cleanupSync()
    process.removeListener('exit', this.onExit)
  }

  private cleanupSync (): void {
    for (const p of this.procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL')
    for (const ns of this.namespaces.splice(0)) spawnSync('ip', ['netns', 'del', ns])
    for (const d of this.dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true })
  }
}

/**
 * Remove what an earlier run of the same test left behind when it was killed
 * (SIGKILL skips teardown): namespaces `<prefix><pid>-…` whose pid is gone,
 * the processes still inside them, their /etc/netns entries and temp dirs.
 */
function reapStale (prefix: string): void {
  const names = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map(l => l.split(' ')[0])
  let etc: string[] = []
  try { etc = fs.readdirSync('/etc/netns') } catch {}
  for (const ns of new Set([...names, ...etc])) {
    const m = new RegExp(`^${prefix}(\\d+)-`).exec(ns)
    if (m === null || fs.existsSync(`/proc/${m[1]}`)) continue
    if (names.includes(ns)) {
      const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean)
      for (const pid of pids) { try { process.kill(Number(pid), 'SIGKILL') } catch {} }
      spawnSync('ip', ['netns', 'del', ns])
    }
    fs.rmSync(path.join('/etc/netns', ns), { recursive: true, force: true })
  }
  for (const d of fs.readdirSync(os.tmpdir())) {
    const m = new RegExp(`^${prefix}(\\d+)-`).exec(d)
    if (m !== null && !fs.existsSync(`/proc/${m[1]}`)) fs.rmSync(path.join(os.tmpdir(), d), { recursive: true, force: true })
  }
}

function ip (...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`)
}

export interface Run { status: number | null, stdout: string, stderr: string }

/** One `funkpost` CLI command (root namespace; it reaches a running node through its control socket file). */
export async function cli (home: string, args: string[], timeoutMs = 20_000): Promise<Run> {
  const env = childEnv()
  return new Promise(resolve => {
    execFile(process.execPath, [bin, '--home', home, ...args], { cwd: root, encoding: 'utf8', timeout: timeoutMs, env },
      (err, stdout, stderr) => {
        const status = err === null ? 0 : typeof err.code === 'number' ? err.code : null
        resolve({ status, stdout, stderr })
      })
  })
}

/** `cli(...)` and JSON.parse of its stdout; throws with stderr on failure. */
export async function cliJson<T = any> (home: string, args: string[]): Promise<T> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const r = await cli(home, [...args, '--json'])
  if (r.status !== 0) throw new Error(`funkpost ${args.join(' ')} failed (${r.status}): ${r.stderr}`)
  return JSON.parse(r.stdout) as T
}

/** `funkpost init --name` in a fresh home under `dir`; returns the home and id. */
export async function initNode (dir: string, name: string): Promise<{ home: string, id: string }> {
  const home = path.join(dir, name)
  const r = await cli(home, ['init', '--name', name])
  const id = ID.exec(r.stdout)?.[0]
  if (r.status !== 0 || id === undefined) throw new Error(`init ${name}: ${r.stderr}${r.stdout}`)
  return { home, id }
}

/** `funkpost start ...` inside `ns`, as a process (its pid is the node's). */
export function spawnNode (lab: Lab, ns: string, home: string, args: string[], env: Record<string, string> = {}): Proc {
  return lab.spawn(ns, process.execPath, [bin, '--home', home, 'start', ...args], env)
}

/** `funkpost start ...` inside `ns`; resolves once its control socket is up. */
export async function startNode (lab: Lab, ns: string, home: string, args: string[], env: Record<string, string> = {}): Promise<Proc> {
  const p = spawnNode(lab, ns, home, args, env)
  await p.waitFor(/control socket /, 30_000)
  return p
}

/** Poll `fn` until it returns something other than undefined/false; throws `what` after `ms`. */
export async function waitFor<T> (what: string, ms: number, fn: () => Promise<T | undefined | false> | T | undefined | false, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + ms
  let last: unknown
  for (let i = 0; i < 10_000; i++) {
    try {
      const v = await fn()
      if (v !== undefined && v !== false) return v
    } catch (err) { last = err }
    if (Date.now() + intervalMs > deadline) break
    await sleep(intervalMs)
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}${last !== undefined ? ` (last error: ${(last as Error).message})` : ''}`)
}

export interface PeerRow { id: string, name: string, addrs: string[], connected: boolean }
export interface InboxRow { id: string, from: string, text: string, at: string, status: string }
