/**
 * Running a node as a process: settings, logging, identity, the control
 * socket, the node, the onion address, and a clean stop (SIGINT, SIGTERM or
 * the control method `stop`).
 *
 * Start-up order keeps one daemon per home and never fights a command over
 * the store: the control socket opens first (a command run now talks to
 * this daemon, and its requests wait until the node is up), then the store
 * opens — waiting, bounded, while a short offline command that got there
 * first still holds it — then the network.
 */
import fs from 'node:fs'
import { FunkpostNode } from './node.js'
import { loadIdentity, createIdentity, identityPath } from './identity.js'
import { resolveSettings, type StartFlags, type Settings } from './settings.js'
import { ControlServer, probe, socketPath } from './control.js'
import { makeContext, type ApiContext } from './api.js'
import { DaemonRunningError, ListenError } from './errors.js'
import { logger } from './log.js'
import { readOnionHostname, onion3Multiaddr } from '../transports/index.js'
import { configureLogging } from '../transports/log.js'

/** How long a starting daemon waits for a store another funkpost process holds, ms. */
const STORE_WAIT_MS = 15_000
const STORE_STEP_MS = 100

export interface Daemon {
  node: FunkpostNode
  ctx: ApiContext
  control: ControlServer
  settings: Settings
  onion?: string
  stop: () => Promise<void>
  /** Resolves once stop() (from a signal or the `stop` method) has finished. */
  stopped: Promise<void>
}

export interface RunOptions extends StartFlags {
  home: string
  /** Create the identity if there is none (chat's embedded node). */
  autoInit?: boolean
  /** Where log lines go. @default stderr */
  logSink?: (line: string) => void
  /** Leave the process's logging settings alone (chat sets its own). */
  keepLogging?: boolean
}

/** Start a node with its control socket. Throws DaemonRunningError if one already runs for this home. */
export async function runDaemon (opts: RunOptions): Promise<Daemon> {
  const log = logger('node:daemon')
  if (await probe(socketPath(opts.home))) {
    throw new DaemonRunningError(`a funkpost node is already running for ${opts.home}; stop it first (\`funkpost stop\`) or use another --home`)
  }
  const settings = resolveSettings(opts.home, opts)
  if (opts.keepLogging !== true) configureLogging({ level: settings.logLevel, format: settings.logFormat, sink: opts.logSink })
  const identity = opts.autoInit === true && !fs.existsSync(identityPath(opts.home))
    ? createIdentity(opts.home)
    : loadIdentity(opts.home)
  let onion: string | undefined
  let noOnion: string | undefined
  try {
    const host = await readOnionHostname(settings.onionDir)
    onion = onion3Multiaddr(host, settings.onionPort).toString()
  } catch (err) {
    noOnion = `no onion address to announce: cannot read ${settings.onionDir}/hostname (${(err as Error).message})`
  }
  const node = new FunkpostNode({
    home: opts.home,
    identity,
    name: settings.name,
    listen: settings.listen,
    bootstrap: settings.bootstrap,
    bridges: settings.bridges,
    mdns: settings.mdns,
    dht: settings.dht,
    profile: settings.profile,
    quotaBytes: settings.quotaBytes,
    torSocks: settings.torSocks,
    onlyTor: settings.onlyTor,
    announce: onion !== undefined ? [onion] : undefined,
    roles: settings.torSocks !== undefined ? ['relay', 'bridge'] : ['relay'],
    sweepIntervalMs: settings.sweepMs
  })

  let stopping: Promise<void> | undefined
  let markStopped = (): void => {}
  const stopped = new Promise<void>(resolve => { markStopped = resolve })
  const stop = async (): Promise<void> => {
    stopping ??= (async () => {
      try {
        await control.stop()
        await node.stop()
      } finally {
        markStopped()
      }
    })()
    return stopping
  }

  let ready: (ctx: ApiContext) => void = () => {}
  let failed: (err: Error) => void = () => {}
  const ctx = new Promise<ApiContext>((resolve, reject) => { ready = resolve; failed = reject })
  const control = new ControlServer(ctx, opts.home, {
    // Answer first, then stop: the caller sees the reply before the socket goes.
    stop: async () => { setImmediate(() => { log.info('stop requested through the control socket'); void stop() }); return { stopping: true, id: node.id } }
  })
  await control.start()
  try {
    await startNode(node, opts.home, log)
    const c = await makeContext(node)
    ready(c)
    log.info('funkpost node %s%s', node.id, settings.name !== '' ? ` (${settings.name})` : '')
    for (const a of node.addrs()) if (!a.startsWith('/onion3/')) log.info('listening on %s', a)
    if (onion !== undefined) log.info('announcing %s', onion)
    else if (noOnion !== undefined && (settings.torSocks !== undefined || opts.onionDir !== undefined)) log.warn(noOnion)
    log.info('control socket %s', control.file)
    return { node, ctx: c, control, settings, onion, stop, stopped }
  } catch (err) {
    failed(err as Error)
    await control.stop()
    throw err
  }
}

/** node.start, waiting (bounded) for a store held by another funkpost process, with listen errors said in one line. */
async function startNode (node: FunkpostNode, home: string, log: ReturnType<typeof logger>): Promise<void> {
  const deadline = Date.now() + STORE_WAIT_MS
  for (let said = false; ;) {
    try {
      await node.start()
      return
    } catch (err) {
      const e = err as Error & { code?: string, cause?: { code?: string } }
      if (e.code === 'LEVEL_DATABASE_NOT_OPEN' && e.cause?.code === 'LEVEL_LOCKED') {
        if (Date.now() > deadline) throw new DaemonRunningError(`the store ${home}/db is in use by another funkpost process (waited ${STORE_WAIT_MS / 1000} s); stop it first`)
        if (!said) { log.info('the store is in use by another funkpost command; waiting for it'); said = true }
        await new Promise(resolve => setTimeout(resolve, STORE_STEP_MS))
        continue
      }
      throw listenError(e) ?? err
    }
  }
}

/** libp2p's multi-line "failed to be listened on" error as one line naming the address and what to do. */
export function listenError (err: Error): ListenError | undefined {
  const m = /(\/\S+): Error: listen (E[A-Z]+)/.exec(err.message)
  if (m === null) return undefined
  const [, addr, code] = m
  const why = code === 'EADDRINUSE'
    ? 'the port is in use by another program (another funkpost node?); pick a free one with --listen'
    : code === 'EADDRNOTAVAIL'
      ? 'this host has no such address; use one of its own addresses, or 0.0.0.0 / :: for all'
      : code === 'EACCES'
        ? 'not allowed to listen there (ports below 1024 need privileges); pick a port above 1023'
        : `the system said ${code}`
  return new ListenError(`cannot listen on ${addr}: ${why}`)
}

/** Stop cleanly on SIGINT/SIGTERM; a second signal exits at once. */
export function stopOnSignals (stop: () => Promise<void>): void {
  const log = logger('node:daemon')
  let count = 0
  const handler = (sig: string): void => {
    if (++count > 1) process.exit(130)
    log.info('%s: stopping', sig)
    stop().then(() => process.exit(0), () => process.exit(1))
  }
  process.on('SIGINT', () => handler('SIGINT'))
  process.on('SIGTERM', () => handler('SIGTERM'))
}
