/**
 * Network namespaces for system tests: namespaces and veth pairs a test
 * creates and removes itself (also on process exit), a multicast route for
 * mDNS, and real processes inside a namespace that speak JSON lines on stdout
 * and take commands on stdin. Traffic stays inside the namespaces; nothing
 * here touches the root namespace's interfaces. Root only: call
 * `netnsUnavailable()` first and skip with its message.
 */
import fs from 'node:fs'
import path from 'node:path'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
export const sleep = async (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

/** Why namespaces cannot be made here (not root, no `ip`, no permission), or undefined. */
export function netnsUnavailable (): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces'
  if (spawnSync('sh', ['-c', 'command -v ip']).status !== 0) return 'needs the `ip` command (iproute2)'
  const probe = `fp-probe-${process.pid}`
  const r = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' })
  if (r.status !== 0) return `cannot create a network namespace: ${r.stderr.trim()}`
  spawnSync('ip', ['netns', 'del', probe])
  return undefined
}

function ip (...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 })
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${(r.stderr ?? '').trim()}`)
}

/** A process inside a namespace whose stdout is JSON lines. */
export class NsProcess {
  readonly lines: Array<Record<string, unknown>> = []
  private stderrText = ''
  private buf = ''
  private readonly waiters = new Set<() => void>()
  readonly exited: Promise<void>

  constructor (readonly child: ChildProcess, readonly label: string) {
    child.stdout?.setEncoding('utf8')
    child.stdout?.on('data', (s: string) => {
      this.buf += s
      let i
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i).trim()
        this.buf = this.buf.slice(i + 1)
        if (line === '') continue
        try { this.lines.push(JSON.parse(line)) } catch { this.stderrText += `[stdout] ${line}\n` }
      }
      this.wake()
    })
    child.stderr?.on('data', (b: Buffer) => { this.stderrText = (this.stderrText + b.toString()).slice(-20_000) })
    this.exited = new Promise(resolve => child.once('exit', () => { resolve(); this.wake() }))
  }

  get running (): boolean { return this.child.exitCode === null && this.child.signalCode === null }
  get stderr (): string { return this.stderrText }

  private wake (): void { for (const w of [...this.waiters]) w() }

  /** The first JSON line matching `pred`; rejects after `ms` or when the process exits. */
  async waitLine (what: string, pred: (l: Record<string, unknown>) => boolean, ms: number): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const hit = this.lines.find(pred)
        if (hit !== undefined) { done(); resolve(hit); return }
        if (!this.running) { done(); reject(new Error(`${this.label} exited before ${what}; stderr:\n${this.stderrText}`)) }
      }
      const timer = setTimeout(() => { done(); reject(new Error(`${this.label}: no ${what} within ${ms} ms; stderr:\n${this.stderrText}`)) }, ms)
      const done = (): void => { clearTimeout(timer); this.waiters.delete(check) }
      this.waiters.add(check)
      check()
    })
  }

  send (line: string): void { this.child.stdin?.write(line + '\n') }

  /** SIGTERM, SIGKILL after `graceMs`; resolves once it has exited (bounded). */
  async stop (graceMs = 3000): Promise<void> {
    if (!this.running) return
    this.child.kill('SIGTERM')
    if (await Promise.race([this.exited.then(() => true), sleep(graceMs).then(() => false)])) return
    this.child.kill('SIGKILL')
    await Promise.race([this.exited, sleep(2000)])
  }
}

/** Namespaces, veth pairs and processes, all removed by `cleanup()` (and on process exit). */
export class NetnsLab {
  readonly tag: string
  private readonly namespaces: string[] = []
  private readonly procs: NsProcess[] = []
  private readonly files: string[] = []
  private veths = 0
  private readonly onExit = (): void => { this.cleanupSync() }

  /** `tag`: a short word; namespace names are fp-<tag>-<name>-<pid>. */
  constructor (tag: string) {
    this.tag = tag
    process.once('exit', this.onExit)
  }

  /** A fresh namespace with `lo` up. */
  ns (name: string): string {
    const ns = `fp-${this.tag}-${name}-${process.pid}`
    ip('netns', 'add', ns)
    this.namespaces.push(ns)
    ip('-n', ns, 'link', 'set', 'lo', 'up')
    return ns
  }

  /** A veth pair between two namespaces with addresses (CIDR, e.g. 10.213.7.1/24); returns the device names. */
  veth (a: string, cidrA: string, b: string, cidrB: string): [string, string] {
    const n = this.veths++
    const base = `fp${this.tag.slice(0, 4)}${process.pid % 100000}${n}`
    const ea = `${base}a`.slice(-15)
    const eb = `${base}b`.slice(-15)
    ip('link', 'add', ea, 'netns', a, 'type', 'veth', 'peer', 'name', eb, 'netns', b)
    ip('-n', a, 'addr', 'add', cidrA, 'dev', ea)
    ip('-n', b, 'addr', 'add', cidrB, 'dev', eb)
    ip('-n', a, 'link', 'set', ea, 'up')
    ip('-n', b, 'link', 'set', eb, 'up')
    return [ea, eb]
  }

  /** Route multicast (224.0.0.0/4: mDNS) out of `dev` inside `ns`. */
  multicast (ns: string, dev: string): void {
    ip('-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', dev)
  }

  /** Run a short command inside `ns`; returns stdout, throws on failure. */
  run (ns: string, cmd: string, args: string[]): string {
    const r = spawnSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', timeout: 10_000 })
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} in ${ns}: ${r.stderr}`)
    return r.stdout
  }

  /** Start a process inside `ns` with stdin open (commands) and JSON lines on stdout. */
  spawn (ns: string, label: string, cmd: string, args: string[], env: Record<string, string> = {}): NsProcess {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['pipe', 'pipe', 'pipe'], cwd: repoRoot, env: { ...process.env, ...env } })
    const p = new NsProcess(child, label)
    this.procs.push(p)
    return p
  }

  /** Remember a file or directory to remove on cleanup. */
  track (file: string): string { this.files.push(file); return file }

  async cleanup (): Promise<void> {
    await Promise.all(this.procs.map(async p => p.stop()))
    this.cleanupSync()
    process.removeListener('exit', this.onExit)
  }

  private cleanupSync (): void {
    for (const p of this.procs) if (p.running) p.child.kill('SIGKILL')
    // Deleting a namespace removes its veth ends too.
    for (const ns of this.namespaces.splice(0)) spawnSync('ip', ['netns', 'del', ns])
    for (const f of this.files.splice(0)) fs.rmSync(f, { recursive: true, force: true })
  }
}

/**
 * Bundle a TypeScript entry with esbuild into the repo's .tap/tmp (inside the
 * tree, so node_modules — classic-level — resolves; git ignores .tap/), for
 * running outside tap's TS loader. Returns the bundle's path.
 */
export function bundleEntry (entry: string, name: string): string {
  const outDir = path.join(repoRoot, '.tap', 'tmp')
  fs.mkdirSync(outDir, { recursive: true })
  const out = path.join(outDir, `${name}-${process.pid}.mjs`)
  const esbuild = path.join(repoRoot, 'node_modules', '.bin', 'esbuild')
  const r = spawnSync(esbuild, [entry, '--bundle', '--platform=node', '--format=esm', '--target=node20',
    '--external:classic-level', '--log-level=warning', `--outfile=${out}`,
    '--banner:js=import { createRequire as __r } from \'node:module\'; const require = __r(import.meta.url);'],
  { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 })
  if (r.status !== 0) throw new Error(`esbuild ${entry} failed: ${r.stderr}`)
  return out
}
