/**
 * The control socket: $FUNKPOST_HOME/funkpost.sock (mode 0600), newline-
 * delimited JSON. Request {"id", "method", "params"} → response {"id",
 * "result"} or {"id", "error": {"name", "message"}}. After {"method":
 * "subscribe"} the server also pushes {"event", "data"} lines (message,
 * delivered, updated, typing, peer:join, peer:leave, outbox).
 */
import net from 'node:net'
import fs from 'node:fs'
import path from 'node:path'
import { messageRow, type ApiContext } from './api.js'
import { allHandlers as handlers } from './handlers.js'
import { DaemonRunningError, NoDaemonError } from './errors.js'
import type { HistoryEntry } from '../store-forward/history.js'

export const SOCKET_FILE = 'funkpost.sock'
const MAX_LINE = 1024 * 1024

export function socketPath (home: string): string {
  return path.join(home, SOCKET_FILE)
}

/** Resolves true when something answers on the socket. */
export function probe (file: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise(resolve => {
    const s = net.connect(file)
    const done = (v: boolean): void => { s.destroy(); resolve(v) }
    s.once('connect', () => done(true))
    s.once('error', () => done(false))
    s.setTimeout(timeoutMs, () => done(false))
  })
}

type Extra = Record<string, (ctx: ApiContext, params: Record<string, unknown>) => Promise<unknown>>

/**
 * Serves the control API on the socket. The socket opens before the node's
 * store does (a daemon that is still starting already owns its home: a
 * command run at that moment talks to it instead of opening the store
 * itself); requests wait until `ctx` resolves, and fail with the start-up
 * error if it rejects.
 */
export class ControlServer {
  private server: net.Server | undefined
  private readonly clients = new Set<net.Socket>()
  private readonly ready: Promise<ApiContext>
  readonly file: string

  constructor (ctx: ApiContext | Promise<ApiContext>, home: string, private readonly extra: Extra = {}) {
    this.file = socketPath(home)
    this.ready = Promise.resolve(ctx)
    // Handled where requests await it; this keeps an early rejection from being reported as unhandled.
    this.ready.catch(() => {})
  }

  async start (): Promise<void> {
    if (fs.existsSync(this.file)) {
      if (await probe(this.file)) throw new DaemonRunningError(`a funkpost node is already running for ${path.dirname(this.file)} (socket ${this.file}); stop it first, or use another --home`)
      fs.unlinkSync(this.file) // stale socket of a crashed daemon
    }
    const server = net.createServer(sock => this.serve(sock))
    const old = process.umask(0o177)
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(this.file, () => { server.off('error', reject); resolve() })
      })
    } finally {
      process.umask(old)
    }
    fs.chmodSync(this.file, 0o600)
    this.server = server
    this.ready.then(ctx => this.forward(ctx), () => {})
  }

  /** Node events to subscribers, once the node is up. */
  private forward (ctx: ApiContext): void {
    const node = ctx.node
    const row = (e: HistoryEntry): Record<string, unknown> => messageRow(ctx, e)
    node.on('message', e => this.broadcast('message', row(e)))
    node.on('delivered', e => this.broadcast('delivered', row(e)))
    node.on('updated', e => this.broadcast('updated', row(e)))
    node.on('typing', e => this.broadcast('typing', { from: ctx.contacts.label(e.from) }))
    node.on('peer:join', e => this.broadcast('peer:join', e))
    node.on('peer:leave', e => this.broadcast('peer:leave', e))
    node.on('outbox', e => this.broadcast('outbox', e))
  }

  async stop (): Promise<void> {
    for (const c of this.clients) c.destroy()
    await new Promise<void>(resolve => this.server !== undefined ? this.server.close(() => resolve()) : resolve())
    try {
      fs.unlinkSync(this.file)
    } catch {
      // Already gone (removed by hand, or a second stop): nothing to clean up.
    }
  }

  private readonly subscribers = new Set<net.Socket>()

  broadcast (event: string, data: unknown): void {
    const line = JSON.stringify({ event, data }) + '\n'
    for (const s of this.subscribers) s.write(line)
  }

  private serve (sock: net.Socket): void {
    this.clients.add(sock)
    sock.setEncoding('utf8')
    let buf = ''
    sock.on('data', (chunk: string) => {
      buf += chunk
      if (buf.length > MAX_LINE && !buf.includes('\n')) { sock.destroy(); return }
      let i: number
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i)
        buf = buf.slice(i + 1)
        if (line.trim() !== '') void this.handle(sock, line)
      }
    })
    sock.on('close', () => { this.clients.delete(sock); this.subscribers.delete(sock) })
    sock.on('error', () => {})
  }

  private async handle (sock: net.Socket, line: string): Promise<void> {
    let req: { id?: unknown, method?: unknown, params?: unknown }
    try {
      req = JSON.parse(line)
    } catch {
      sock.write(JSON.stringify({ id: null, error: { name: 'InvalidRequest', message: 'not JSON' } }) + '\n')
      return
    }
    const id = req.id ?? null
    const method = String(req.method)
    if (method === 'subscribe') {
      this.subscribers.add(sock)
      sock.write(JSON.stringify({ id, result: { subscribed: true } }) + '\n')
      return
    }
    // Own properties only: a method named `constructor` or `__proto__` is unknown, not Object.prototype's.
    const h = Object.hasOwn(this.extra, method) ? this.extra[method] : Object.hasOwn(handlers, method) ? handlers[method] : undefined
    if (h === undefined) {
      sock.write(JSON.stringify({ id, error: { name: 'UnknownMethod', message: `unknown method ${method}` } }) + '\n')
      return
    }
    try {
      const params = (req.params !== null && typeof req.params === 'object') ? req.params as Record<string, unknown> : {}
      const result = await h(await this.ready, params)
      if (!sock.destroyed) sock.write(JSON.stringify({ id, result: result ?? null }) + '\n')
    } catch (err) {
      const e = err as Error
      if (!sock.destroyed) sock.write(JSON.stringify({ id, error: { name: e.name ?? 'Error', message: e.message } }) + '\n')
    }
  }
}

/** A client of the control socket. */
export class ControlClient {
  private sock!: net.Socket
  private nextId = 1
  private readonly pending = new Map<number, { resolve: (v: unknown) => void, reject: (e: Error) => void }>()
  private onEvent: ((event: string, data: unknown) => void) | undefined
  private closed = false

  static async connect (home: string): Promise<ControlClient> {
    const c = new ControlClient()
    const file = socketPath(home)
    await new Promise<void>((resolve, reject) => {
      c.sock = net.connect(file)
      c.sock.once('connect', () => resolve())
      c.sock.once('error', (err: NodeJS.ErrnoException) => {
        reject(err.code === 'ENOENT' || err.code === 'ECONNREFUSED'
          ? new NoDaemonError(`no funkpost node is running for ${home}; start one with \`funkpost start\``)
          : err)
      })
    })
    c.sock.setEncoding('utf8')
    let buf = ''
    c.sock.on('data', (chunk: string) => {
      buf += chunk
      let i: number
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i)
        buf = buf.slice(i + 1)
        c.dispatch(line)
      }
    })
    c.sock.on('close', () => {
      c.closed = true
      for (const p of c.pending.values()) p.reject(new NoDaemonError('the funkpost node closed the connection'))
      c.pending.clear()
      c.onClose?.()
    })
    c.sock.on('error', () => {})
    return c
  }

  onClose: (() => void) | undefined

  private dispatch (line: string): void {
    let msg: { id?: number, result?: unknown, error?: { name: string, message: string }, event?: string, data?: unknown }
    try { msg = JSON.parse(line) } catch { return }
    if (msg.event !== undefined) { this.onEvent?.(msg.event, msg.data); return }
    const p = this.pending.get(msg.id as number)
    if (p === undefined) return
    this.pending.delete(msg.id as number)
    if (msg.error !== undefined) {
      const e = new Error(msg.error.message)
      Object.defineProperty(e, 'name', { value: msg.error.name })
      p.reject(e)
    } else p.resolve(msg.result)
  }

  call<T = unknown> (method: string, params: Record<string, unknown> = {}): Promise<T> {
    if (this.closed) return Promise.reject(new NoDaemonError('the funkpost node closed the connection'))
    const id = this.nextId++
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      this.sock.write(JSON.stringify({ id, method, params }) + '\n')
    })
  }

  async subscribe (onEvent: (event: string, data: unknown) => void): Promise<void> {
    this.onEvent = onEvent
    await this.call('subscribe')
  }

  close (): void { this.sock.end(); this.sock.destroy() }
}
