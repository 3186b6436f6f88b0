/**
 * Settings of a node, from (highest first) flags, FUNKPOST_* environment
 * variables, $FUNKPOST_HOME/config.json, and the profile's defaults.
 */
import { readConfig } from './config.js'
import { DEFAULT_LISTEN, DEFAULT_PORT, PROFILES, DEFAULT_PROFILE, type ProfileName } from './profiles.js'
import { ConfigError } from './errors.js'
import { parseHostPort, checkMultiaddr } from '../transports/index.js'

export interface StartFlags {
  name?: string
  listen?: string[]
  bootstrap?: string[]
  mdns?: boolean
  dht?: boolean
  profile?: string
  quotaMb?: number
  torSocks?: string
  onlyTor?: boolean
  bridge?: string[]
  onionDir?: string
  onionPort?: number
}

export interface Settings {
  name: string
  listen: string[]
  bootstrap: string[]
  mdns: boolean
  dht: boolean
  profile: ProfileName
  quotaBytes?: number
  torSocks?: { host: string, port: number }
  onlyTor: boolean
  bridges: string[]
  onionDir: string
  onionPort: number
}

/** Default folder tor writes the onion service's hostname to (`funkpost tor setup`). */
export const DEFAULT_ONION_DIR = '/var/lib/tor/funkpost'

function list (env: string | undefined): string[] | undefined {
  if (env === undefined || env.trim() === '') return undefined
  return env.split(/[,\s]+/).filter(Boolean)
}

function bool (env: string | undefined): boolean | undefined {
  if (env === undefined || env === '') return undefined
  if (/^(1|true|yes|on)$/i.test(env)) return true
  if (/^(0|false|no|off)$/i.test(env)) return false
  throw new ConfigError(`"${env}" is not a yes/no value (use 1 or 0)`)
}

export function resolveSettings (home: string, flags: StartFlags, env: NodeJS.ProcessEnv = process.env): Settings {
  const file = readConfig(home)
  const profile = (flags.profile ?? env.FUNKPOST_PROFILE ?? file.profile ?? DEFAULT_PROFILE) as ProfileName
  if (!(profile in PROFILES)) throw new ConfigError(`unknown profile "${profile}": use router or laptop`)
  const quotaMb = flags.quotaMb ?? (env.FUNKPOST_QUOTA_MB !== undefined ? Number(env.FUNKPOST_QUOTA_MB) : undefined)
  if (quotaMb !== undefined && !(quotaMb > 0 && quotaMb < 1e6)) throw new ConfigError(`--quota-mb must be a positive number of MiB, not ${quotaMb}`)
  const torSocksText = flags.torSocks ?? env.FUNKPOST_TOR_SOCKS ?? file.torSocks
  const onlyTor = flags.onlyTor ?? bool(env.FUNKPOST_ONLY_TOR) ?? file.onlyTor ?? false
  if (onlyTor && torSocksText === undefined) throw new ConfigError('--only-tor needs --tor-socks HOST:PORT (the SOCKS port of a local tor, usually 127.0.0.1:9050)')
  let listen = flags.listen ?? list(env.FUNKPOST_LISTEN) ?? file.listen ?? DEFAULT_LISTEN
  // With --only-tor nothing listens on the clear net: only the loopback port the onion service forwards to.
  if (onlyTor && flags.listen === undefined) listen = [`/ip4/127.0.0.1/tcp/${DEFAULT_PORT}`]
  const bootstrap = flags.bootstrap ?? list(env.FUNKPOST_BOOTSTRAP) ?? file.bootstrap ?? []
  const bridges = flags.bridge ?? list(env.FUNKPOST_BRIDGES) ?? file.bridges ?? []
  for (const a of [...listen, ...bootstrap, ...bridges]) {
    try { checkMultiaddr(a) } catch (err) { throw new ConfigError((err as Error).message) }
  }
  let torSocks
  try { torSocks = torSocksText !== undefined ? parseHostPort(torSocksText) : undefined } catch (err) { throw new ConfigError((err as Error).message) }
  return {
    name: flags.name ?? env.FUNKPOST_NAME ?? file.name ?? '',
    listen,
    bootstrap,
    mdns: onlyTor ? false : (flags.mdns ?? bool(env.FUNKPOST_MDNS) ?? file.mdns ?? true),
    dht: flags.dht ?? bool(env.FUNKPOST_DHT) ?? file.dht ?? true,
    profile,
    quotaBytes: quotaMb !== undefined ? Math.round(quotaMb * 1024 * 1024) : undefined,
    torSocks,
    onlyTor,
    bridges,
    onionDir: flags.onionDir ?? env.FUNKPOST_ONION_DIR ?? DEFAULT_ONION_DIR,
    onionPort: flags.onionPort ?? onionPortFor(listen)
  }
}

/**
 * The onion service's port: `funkpost tor setup --port N` forwards onion port
 * N to 127.0.0.1:N, so it is the port of the loopback (or any-address) TCP
 * listener; the default port if there is none.
 */
export function onionPortFor (listen: string[]): number {
  const tcp: Array<{ host: string, port: number }> = []
  for (const a of listen) {
    const m = /^\/ip[46]\/([^/]+)\/tcp\/(\d+)/.exec(a)
    if (m !== null && m[2] !== '0') tcp.push({ host: m[1], port: Number(m[2]) })
  }
  const local = tcp.find(l => ['127.0.0.1', '::1', '0.0.0.0', '::'].includes(l.host)) ?? tcp[0]
  return local?.port ?? DEFAULT_PORT
}
