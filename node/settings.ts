/**
 * Settings of a node, from (highest first) flags, FUNKPOST_* environment
 * variables, $FUNKPOST_HOME/config.json, and the defaults — every one
 * described once in node/settings-schema.ts.
 */
import { readConfig } from './config.js'
import { DEFAULT_LISTEN, DEFAULT_PORT, DEFAULT_PROFILE, type ProfileName } from './profiles.js'
import { ConfigError } from './errors.js'
import { parseHostPort } from '../transports/index.js'
import type { LogFormat, LogLevel } from '../transports/log.js'
import { fromEnv, problemWith, spec, SETTING_KEYS, type SettingValues } from './settings-schema.js'

/** Flags of `start`/`chat` as the CLI passes them (config.json names). */
export type StartFlags = SettingValues

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
  logLevel: LogLevel
  logFormat: LogFormat
  sweepMs?: number
}

/** Default folder tor writes the onion service's hostname to (`funkpost tor setup`). */
export const DEFAULT_ONION_DIR = '/var/lib/tor/funkpost'

/** The values of every source, merged by precedence (flags first); each checked against the schema. */
export function mergedValues (home: string, flags: StartFlags, env: NodeJS.ProcessEnv = process.env): SettingValues {
  let fromEnvironment: SettingValues
  try {
    fromEnvironment = fromEnv(env)
  } catch (err) {
    throw new ConfigError((err as Error).message)
  }
  const file = readConfig(home)
  const out: Record<string, unknown> = {}
  for (const key of SETTING_KEYS) {
    const flag = flags[key]
    if (flag !== undefined) {
      const problem = problemWith(key, flag, `--${spec(key).flag ?? key}`)
      if (problem !== undefined) throw new ConfigError(problem)
    }
    const v = flag ?? fromEnvironment[key] ?? file[key]
    if (v !== undefined) out[key] = v
  }
  return out as SettingValues
}

export function resolveSettings (home: string, flags: StartFlags, env: NodeJS.ProcessEnv = process.env): Settings {
  const v = mergedValues(home, flags, env)
  const profile = (v.profile ?? DEFAULT_PROFILE) as ProfileName
  const onlyTor = v.onlyTor ?? false
  if (onlyTor && v.torSocks === undefined) throw new ConfigError('--only-tor needs --tor-socks HOST:PORT (the SOCKS port of a local tor, usually 127.0.0.1:9050)')
  // With --only-tor nothing listens on the clear net: only the loopback port the onion service forwards to.
  const listen = v.listen ?? (onlyTor ? [`/ip4/127.0.0.1/tcp/${DEFAULT_PORT}`] : DEFAULT_LISTEN)
  return {
    name: v.name ?? '',
    listen,
    bootstrap: v.bootstrap ?? [],
    mdns: onlyTor ? false : (v.mdns ?? true),
    dht: v.dht ?? true,
    profile,
    quotaBytes: v.quotaMb !== undefined ? Math.round(v.quotaMb * 1024 * 1024) : undefined,
    torSocks: v.torSocks !== undefined ? parseHostPort(v.torSocks) : undefined,
    onlyTor,
    bridges: v.bridges ?? [],
    onionDir: v.onionDir ?? DEFAULT_ONION_DIR,
    onionPort: onionPortFor(listen),
    logLevel: (v.logLevel ?? 'info') as LogLevel,
    logFormat: (v.logFormat ?? 'text') as LogFormat,
    sweepMs: v.sweepMs
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
