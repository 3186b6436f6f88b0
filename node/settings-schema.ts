/**
 * Every setting of a node, once: its type, default, documentation and
 * sources — a `funkpost start`/`chat` flag, a FUNKPOST_* environment
 * variable, a key of $FUNKPOST_HOME/config.json, and a UCI option of
 * /etc/config/funkpost on OpenWrt. The yargs options, the checks of
 * config.json and of `funkpost config set`, docs/SETTINGS.md and the OpenWrt
 * init script's option table are all derived from (or tested against) this
 * list. Precedence: flag > environment > config.json > default.
 */
import { checkMultiaddr, parseHostPort } from '../transports/index.js'
import { isLogLevel, LOG_LEVELS } from '../transports/log.js'
import { ANNOUNCE_MAX_NAME } from '../mesh/constants.js'
import { DEFAULT_LISTEN, DEFAULT_PROFILE, PROFILES } from './profiles.js'

export type SettingType = 'string' | 'number' | 'boolean' | 'list'

interface SettingSpec {
  type: SettingType
  doc: string
  /** The default as people read it (docs, --help). */
  shown: string
  /** yargs option name (kebab case); none: not a flag. */
  flag?: string
  env?: string
  /** UCI option of section `main` in /etc/config/funkpost; none: not mapped on OpenWrt. */
  uci?: string
  choices?: readonly string[]
  /** A problem with a value of the right type, said as what to use instead; undefined when fine. */
  check?: (value: never) => string | undefined
  /** Only for tests and benchmarks: left out of --help. */
  hidden?: boolean
}

const multiaddrs = (list: string[]): string | undefined => {
  for (const a of list) {
    try { checkMultiaddr(a) } catch (err) { return (err as Error).message }
  }
  return undefined
}

/** The settings, keyed by their config.json name. */
export const SETTINGS = {
  name: {
    type: 'string', flag: 'name', env: 'FUNKPOST_NAME', uci: 'name', shown: '(none)',
    doc: 'name announced to other nodes and put in invites',
    check: (v: string) => v.length > ANNOUNCE_MAX_NAME ? `a name has at most ${ANNOUNCE_MAX_NAME} characters` : undefined
  },
  profile: {
    type: 'string', flag: 'profile', env: 'FUNKPOST_PROFILE', uci: 'profile', shown: DEFAULT_PROFILE,
    choices: Object.keys(PROFILES), doc: 'resource profile: custody quotas, outbox and connection limits (router: small)'
  },
  quotaMb: {
    type: 'number', flag: 'quota-mb', env: 'FUNKPOST_QUOTA_MB', uci: 'quota_mb',
    shown: `the profile's (${Object.entries(PROFILES).map(([n, p]) => `${n} ${p.custodyBytes / 2 ** 20}`).join(', ')})`,
    doc: 'custody quota in MiB: mail held for others',
    check: (v: number) => v > 0 && v < 1e6 ? undefined : 'use a positive number of MiB'
  },
  listen: {
    type: 'list', flag: 'listen', env: 'FUNKPOST_LISTEN', uci: 'listen', shown: DEFAULT_LISTEN.join(' '),
    doc: 'multiaddrs to listen on (with onlyTor: /ip4/127.0.0.1/tcp/7337)', check: multiaddrs
  },
  bootstrap: {
    type: 'list', flag: 'bootstrap', env: 'FUNKPOST_BOOTSTRAP', uci: 'bootstrap', shown: '(none)',
    doc: 'peers to connect to at start and keep connected (multiaddrs with /p2p/ID)', check: multiaddrs
  },
  bridges: {
    type: 'list', flag: 'bridge', env: 'FUNKPOST_BRIDGES', uci: 'bridge', shown: '(none)',
    doc: 'peers on other islands to keep connected, e.g. /onion3/…:7337/p2p/ID', check: multiaddrs
  },
  mdns: {
    type: 'boolean', flag: 'mdns', env: 'FUNKPOST_MDNS', uci: 'mdns', shown: 'true (false with onlyTor)',
    doc: 'find peers on the LAN by mDNS'
  },
  dht: {
    type: 'boolean', flag: 'dht', env: 'FUNKPOST_DHT', uci: 'dht', shown: 'true',
    doc: 'join the private funkpost DHT to find peers by id'
  },
  torSocks: {
    type: 'string', flag: 'tor-socks', env: 'FUNKPOST_TOR_SOCKS', uci: 'tor_socks', shown: '(none)',
    doc: 'SOCKS5 port of a local tor, HOST:PORT (e.g. 127.0.0.1:9050): dial /onion3 addresses',
    check: (v: string) => { try { parseHostPort(v); return undefined } catch (err) { return (err as Error).message } }
  },
  onlyTor: {
    type: 'boolean', flag: 'only-tor', env: 'FUNKPOST_ONLY_TOR', uci: 'only_tor', shown: 'false',
    doc: 'every outbound connection through Tor; no clear-net dials, no mDNS (needs torSocks)'
  },
  onionDir: {
    type: 'string', flag: 'onion-dir', env: 'FUNKPOST_ONION_DIR', shown: '/var/lib/tor/funkpost',
    doc: "tor HiddenServiceDir whose hostname file holds this node's onion address (announced)"
  },
  logLevel: {
    type: 'string', flag: 'log-level', env: 'FUNKPOST_LOG_LEVEL', uci: 'log_level', shown: 'info',
    choices: LOG_LEVELS, doc: 'least severe log lines shown: error, warn, info, debug, trace (DEBUG=funkpost:* still works)'
  },
  logFormat: {
    type: 'string', flag: 'log-format', env: 'FUNKPOST_LOG_FORMAT', uci: 'log_format', shown: 'text',
    choices: ['text', 'json'], doc: 'log lines as text or as one JSON object each'
  },
  sweepMs: {
    type: 'number', flag: 'sweep-ms', env: 'FUNKPOST_SWEEP_MS', shown: '60000', hidden: true,
    doc: 'how often expired mail, tombstones and disappearing messages are swept, ms (tests shorten it)',
    check: (v: number) => Number.isInteger(v) && v >= 50 ? undefined : 'use a whole number of ms, at least 50'
  }
} as const satisfies Record<string, SettingSpec>

export type SettingKey = keyof typeof SETTINGS
export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[]

type ValueOf<T extends SettingType> = T extends 'string' ? string : T extends 'number' ? number : T extends 'boolean' ? boolean : string[]

/** The raw values a source gives, by setting key (absent: not given). */
export type SettingValues = { -readonly [K in SettingKey]?: ValueOf<(typeof SETTINGS)[K]['type']> }

export function spec (key: SettingKey): SettingSpec { return SETTINGS[key] as SettingSpec }

export function isSettingKey (k: string): k is SettingKey { return Object.prototype.hasOwnProperty.call(SETTINGS, k) }

/** The closest known key to a misspelt one (edit distance ≤ 3), for "did you mean". */
export function closestKey (k: string): SettingKey | undefined {
  let best: SettingKey | undefined
  let bestD = 4
  for (const key of SETTING_KEYS) {
    const d = editDistance(k.toLowerCase(), key.toLowerCase())
    if (d < bestD) { best = key; bestD = d }
  }
  return best
}

function editDistance (a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = cur
    }
  }
  return row[b.length]
}

const TYPE_WORDS: Record<SettingType, string> = {
  string: 'a string', number: 'a number', boolean: 'true or false', list: 'a list of strings, e.g. ["…", "…"]'
}

/** Check a value of any origin for `key` (named `label` in the message): its type, choices and own rule. Returns the problem, or undefined. */
export function problemWith (key: SettingKey, value: unknown, label: string = key): string | undefined {
  const s = spec(key)
  const ok = s.type === 'list'
    ? Array.isArray(value) && value.every(x => typeof x === 'string')
    : s.type === 'number' ? typeof value === 'number' && Number.isFinite(value) : s.type === 'boolean' ? typeof value === 'boolean' : typeof value === 'string'
  if (!ok) return `${label} must be ${TYPE_WORDS[s.type]}, not ${JSON.stringify(value)}`
  if (s.choices !== undefined && !s.choices.includes(value as string)) return `${label} must be one of ${s.choices.join(', ')}, not ${JSON.stringify(value)}`
  const rule = s.check?.(value as never)
  return rule !== undefined ? `${label}: ${rule}` : undefined
}

/** Parse text (an environment variable, `config set KEY VALUE`) as a value of `key`'s type; throws with the problem. */
export function parseText (key: SettingKey, text: string, label: string = key): SettingValues[SettingKey] {
  const s = spec(key)
  let v: unknown
  switch (s.type) {
    case 'string': v = text; break
    case 'number':
      v = Number(text)
      if (text.trim() === '' || !Number.isFinite(v)) throw new Error(`${label} must be a number, not "${text}"`)
      break
    case 'boolean':
      if (/^(1|true|yes|on)$/i.test(text)) v = true
      else if (/^(0|false|no|off)$/i.test(text)) v = false
      else throw new Error(`${label} must be yes or no (1/0, true/false, on/off), not "${text}"`)
      break
    case 'list': v = text.split(/[,\s]+/).filter(Boolean); break
  }
  const p = problemWith(key, v, label)
  if (p !== undefined) throw new Error(p)
  return v as SettingValues[SettingKey]
}

/** The values the environment gives (FUNKPOST_*); a bad one throws naming the variable. */
export function fromEnv (env: NodeJS.ProcessEnv): SettingValues {
  const out: Record<string, unknown> = {}
  for (const key of SETTING_KEYS) {
    const name = spec(key).env
    const text = name !== undefined ? env[name] : undefined
    if (text === undefined || text.trim() === '') continue
    out[key] = parseText(key, text, name)
  }
  return out as SettingValues
}

/** The values yargs parsed from flags (keys by flag name, camel-cased by yargs). */
export function fromFlags (argv: Record<string, unknown>): SettingValues {
  const out: Record<string, unknown> = {}
  for (const key of SETTING_KEYS) {
    const flag = spec(key).flag
    if (flag === undefined) continue
    const v = argv[flag]
    if (v !== undefined) out[key] = v
  }
  return out as SettingValues
}

/** yargs option definitions of every setting with a flag (no defaults: an absent flag falls through to env and config.json). */
export function yargsOptions (): Record<string, { type: 'string' | 'number' | 'boolean', array?: boolean, choices?: readonly string[], describe: string, hidden?: boolean }> {
  const out: ReturnType<typeof yargsOptions> = {}
  for (const key of SETTING_KEYS) {
    const s = spec(key)
    if (s.flag === undefined) continue
    out[s.flag] = {
      type: s.type === 'list' ? 'string' : s.type,
      array: s.type === 'list' ? true : undefined,
      choices: s.choices,
      describe: `${s.doc}${s.type === 'list' ? ' (repeat)' : ''}${s.type === 'boolean' ? ` (--no-${s.flag} to turn off)` : ''}; default ${s.shown}`,
      hidden: s.hidden
    }
  }
  return out
}

/** docs/SETTINGS.md: every setting with its sources (`funkpost config docs` prints it). */
export function settingsMarkdown (): string {
  const rows = SETTING_KEYS.map(key => {
    const s = spec(key)
    const type = s.choices !== undefined ? s.choices.join(' \\| ') : s.type
    return `| \`${key}\` | ${type} | ${s.shown} | ${s.flag !== undefined ? `\`--${s.flag}\`` : '—'} | ${s.env !== undefined ? `\`${s.env}\`` : '—'} | ${s.uci !== undefined ? `\`${s.uci}\`` : '—'} | ${s.doc}${s.hidden === true ? ' (not in --help)' : ''} |`
  })
  return [
    '# Settings',
    '',
    'Generated from node/settings-schema.ts by `funkpost config docs`; a test',
    'keeps this file equal to it. A setting comes from, highest first: a flag of',
    '`funkpost start` (and `chat`), a `FUNKPOST_*` environment variable, a key of',
    '`$FUNKPOST_HOME/config.json` (`funkpost config set KEY VALUE`), the default.',
    'On OpenWrt, /etc/init.d/funkpost passes the UCI options of section `main`',
    'as flags. config.json is checked when a node starts: an unknown key, a value',
    'of the wrong type or out of range stops it with one line naming the key.',
    '',
    '| config.json key | type | default | flag | environment | UCI option | what it does |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    ''
  ].join('\n')
}

/**
 * The OpenWrt init script's table of UCI options: `option flag kind` per
 * line, kind `value`, `bool` or `list` (openwrt/funkpost/files/funkpost.init
 * holds the same lines; a test compares them).
 */
export function uciTable (): string[] {
  return SETTING_KEYS.filter(k => spec(k).uci !== undefined && spec(k).flag !== undefined).map(k => {
    const s = spec(k)
    return `${s.uci as string} --${s.flag as string} ${s.type === 'boolean' ? 'bool' : s.type === 'list' ? 'list' : 'value'}`
  })
}

export { isLogLevel }
