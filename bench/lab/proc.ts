/**
 * One lab node: a real `funkpost start` process inside its namespace (the
 * installed CLI, cli/bin.js → dist/funkpost.js), and a JSON-lines client on
 * its control socket (a Unix socket in its home: no network traffic) that
 * sends and records 'message' / 'delivered' / 'peer:join' events with the
 * time the lab saw them.
 */
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { LabError } from './netns.js'

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
const BIN = path.join(repoRoot, 'cli', 'bin.js')
export const PORT = 7337

const sleep = async (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

/** `funkpost init`: a fresh identity in `home`; returns its id. */
export function initHome (home: string, name: string): string {
  fs.mkdirSync(home, { recursive: true, mode: 0o700 })
  const r = spawnSync(process.execPath, [BIN, '--home', home, 'init', '--name', name, '--json'], { encoding: 'utf8', timeout: 20_000 })
  if (r.status !== 0) throw new LabError(`funkpost init failed: ${r.stderr}`)
  return String(JSON.parse(r.stdout).id)
}

export interface LabEvent { event: string, at: number, data: Record<string, unknown> }

export class LabNode {
  child: ChildProcess | undefined
  readonly events: LabEvent[] = []
  private sock: net.Socket | undefined
  private seq = 0
  private readonly pending = new Map<number, { resolve: (v: unknown) => void, reject: (e: Error) => void }>()
  private stderr = ''

  constructor (readonly index: number, readonly ns: string, readonly home: string, readonly id: string) {}

  /** Start `funkpost start` in the namespace and connect to its control socket (bounded). */
  async start (args: string[], timeoutMs = 20_000): Promise<void> {
    const sockFile = path.join(this.home, 'funkpost.sock')
    fs.rmSync(sockFile, { force: true })
    this.child = spawn('ip', ['netns', 'exec', this.ns, process.execPath, BIN, '--home', this.home, 'start', ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
    this.child.stderr?.on('data', (b: Buffer) => { this.stderr = (this.stderr + b.toString()).slice(-4000) })
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if (this.child.exitCode !== null) throw new LabError(`node ${this.index} exited: ${this.stderr}`)
      if (fs.existsSync(sockFile)) {
        try { await this.connect(sockFile); break } catch {}
      }
      if (Date.now() > deadline) throw new LabError(`node ${this.index}: no control socket within ${timeoutMs} ms: ${this.stderr}`)
      await sleep(50)
    }
    await this.call('subscribe')
  }

  private async connect (file: string): Promise<void> {
    const sock = net.connect(file)
    await new Promise<void>((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject) })
    sock.setEncoding('utf8')
    let buf = ''
    sock.on('data', (chunk: string) => {
      buf += chunk
      let i
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i); buf = buf.slice(i + 1)
        let m: { id?: number, result?: unknown, error?: { message: string }, event?: string, data?: Record<string, unknown> }
        try { m = JSON.parse(line) } catch { continue }
        if (m.event !== undefined) { this.events.push({ event: m.event, at: Date.now(), data: m.data ?? {} }); continue }
        const p = this.pending.get(m.id ?? -1)
        if (p === undefined) continue
        this.pending.delete(m.id ?? -1)
        if (m.error !== undefined) p.reject(new LabError(m.error.message)); else p.resolve(m.result)
      }
    })
    sock.on('error', () => {})
    sock.on('close', () => { for (const p of this.pending.values()) p.reject(new LabError('control socket closed')); this.pending.clear() })
    this.sock = sock
  }

  async call<T = unknown> (method: string, params: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<T> {
    const sock = this.sock
    if (sock === undefined) throw new LabError('not connected')
    const id = ++this.seq
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => { this.pending.delete(id); reject(new LabError(`${method}: no answer in ${timeoutMs} ms`)) }, timeoutMs)
      this.pending.set(id, { resolve: v => { clearTimeout(timer); resolve(v as T) }, reject: e => { clearTimeout(timer); reject(e) } })
      sock.write(JSON.stringify({ id, method, params }) + '\n')
    })
  }

  /** Send a DM; returns the envelope id and the time just before the call. */
  async send (to: string, text: string): Promise<{ id: string, at: number }> {
    const at = Date.now()
    const r = await this.call<{ id: string }>('send', { to, text })
    return { id: r.id, at }
  }

  /** When this node received envelope `id` (its 'message' event), or undefined. */
  receivedAt (id: string): number | undefined {
    return this.events.find(e => e.event === 'message' && e.data.id === id)?.at
  }

  peersJoined (): Set<string> {
    return new Set(this.events.filter(e => e.event === 'peer:join').map(e => String(e.data.id)))
  }

  /** SIGTERM (the daemon stops cleanly), SIGKILL after 5 s. */
  async stop (): Promise<void> {
    this.sock?.destroy()
    const c = this.child
    if (c === undefined || c.exitCode !== null || c.signalCode !== null) return
    const exited = new Promise<void>(resolve => c.once('exit', () => resolve()))
    c.kill('SIGTERM')
    if (await Promise.race([exited.then(() => true), sleep(5000).then(() => false)])) return
    c.kill('SIGKILL')
    await Promise.race([exited, sleep(2000)])
  }
}
