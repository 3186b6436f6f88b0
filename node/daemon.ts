/**
 * Running a node as a process: settings, identity, the node, the control
 * socket, the onion address, and a clean stop on SIGINT/SIGTERM.
 */
import fs from 'node:fs'
import { FunkpostNode } from './node.js'
import { loadIdentity, createIdentity, identityPath } from './identity.js'
import { resolveSettings, type StartFlags, type Settings } from './settings.js'
import { ControlServer, probe, socketPath } from './control.js'
import { makeContext, type ApiContext } from './api.js'
import { DaemonRunningError, ConfigError } from './errors.js'
import { readOnionHostname, onion3Multiaddr } from '../transports/index.js'

export interface Daemon {
  node: FunkpostNode
  ctx: ApiContext
  control: ControlServer
  settings: Settings
  onion?: string
  stop: () => Promise<void>
}

export interface RunOptions extends StartFlags {
  home: string
  /** Create the identity if there is none (chat's embedded node). */
  autoInit?: boolean
  log?: (line: string) => void
}

/**
 * FUNKPOST_SWEEP_MS: how often expired envelopes and disappearing messages
 * are swept (default SWEEP_INTERVAL_MS, 60 s). Tests shorten it.
 */
function sweepMs (v: string | undefined): number | undefined {
  if (v === undefined || v.trim() === '') return undefined
  const n = Number(v)
  if (!(Number.isInteger(n) && n >= 50)) throw new ConfigError(`FUNKPOST_SWEEP_MS must be a whole number of ms, at least 50, not "${v}"`)
  return n
}

/** Start a node with its control socket. Throws DaemonRunningError if one already runs for this home. */
export async function runDaemon (opts: RunOptions): Promise<Daemon> {
  const log = opts.log ?? (() => {})
  if (await probe(socketPath(opts.home))) {
    throw new DaemonRunningError(`a funkpost node is already running for ${opts.home}; stop it first (or use another --home)`)
  }
  const settings = resolveSettings(opts.home, opts)
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
    sweepIntervalMs: sweepMs(process.env.FUNKPOST_SWEEP_MS)
  })
  try {
    await node.start()
  } catch (err) {
    const e = err as Error & { code?: string, cause?: { code?: string } }
    if (e.code === 'LEVEL_DATABASE_NOT_OPEN' && e.cause?.code === 'LEVEL_LOCKED') {
      throw new DaemonRunningError(`the store ${opts.home}/db is in use by another funkpost process`)
    }
    if (/EADDRINUSE/.test(e.message)) throw new Error(`cannot listen: ${e.message}; another program uses that port (pick one with --listen /ip4/0.0.0.0/tcp/PORT)`)
    throw err
  }
  const ctx = await makeContext(node)
  const control = new ControlServer(ctx, opts.home)
  try {
    await control.start()
  } catch (err) {
    await node.stop()
    throw err
  }
  log(`funkpost node ${node.id}${settings.name !== '' ? ` (${settings.name})` : ''}`)
  for (const a of node.addrs()) if (!a.startsWith('/onion3/')) log(`listening on ${a}`)
  if (onion !== undefined) log(`announcing ${onion}`)
  else if (noOnion !== undefined && (settings.torSocks !== undefined || opts.onionDir !== undefined)) log(noOnion)
  log(`control socket ${control.file}`)
  let stopping: Promise<void> | undefined
  const stop = async (): Promise<void> => {
    stopping ??= (async () => {
      await control.stop()
      await node.stop()
    })()
    return stopping
  }
  return { node, ctx, control, settings, onion, stop }
}

/** Stop cleanly on SIGINT/SIGTERM; a second signal exits at once. */
export function stopOnSignals (stop: () => Promise<void>, log: (s: string) => void = () => {}): void {
  let count = 0
  const handler = (sig: string): void => {
    if (++count > 1) process.exit(130)
    log(`${sig}: stopping`)
    stop().then(() => process.exit(0), () => process.exit(1))
  }
  process.on('SIGINT', () => handler('SIGINT'))
  process.on('SIGTERM', () => handler('SIGTERM'))
}
