/**
 * resolveSettings: flags > FUNKPOST_* environment > config.json > profile
 * defaults, field by field, and every bad value is a ConfigError whose
 * message says what to use instead. Real config.json files in temp homes.
 */
import t from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { resolveSettings, DEFAULT_ONION_DIR, onionPortFor } from '../../node/settings.js'
import { readConfig, writeConfig, writeName, CONFIG_FILE } from '../../node/config.js'
import { DEFAULT_LISTEN, DEFAULT_PORT } from '../../node/profiles.js'
import { ConfigError } from '../../node/errors.js'

function home (t: { teardown: (fn: () => void) => void }, config?: unknown): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'funkpost-settings-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  if (config !== undefined) fs.writeFileSync(path.join(dir, CONFIG_FILE), typeof config === 'string' ? config : JSON.stringify(config))
  return dir
}

const A = '/ip4/10.0.0.1/tcp/7337'
const B = '/ip4/10.0.0.2/tcp/7337'
const C = '/ip4/10.0.0.3/tcp/7337'
const D = '/ip4/10.0.0.4/tcp/7337'

t.test('defaults with no flags, no environment and no config.json', async t => {
  const s = resolveSettings(home(t), {}, {})
  t.same(s, {
    name: '',
    listen: DEFAULT_LISTEN,
    bootstrap: [],
    mdns: true,
    dht: true,
    profile: 'laptop',
    quotaBytes: undefined,
    torSocks: undefined,
    onlyTor: false,
    bridges: [],
    onionDir: DEFAULT_ONION_DIR,
    onionPort: DEFAULT_PORT,
    logLevel: 'info',
    logFormat: 'text',
    sweepMs: undefined
  })
})

t.test('each field: flag beats environment beats config.json beats default', async t => {
  const config = { name: 'file', listen: [C], bootstrap: [C], mdns: true, dht: true, profile: 'laptop', torSocks: '127.0.0.1:9003', bridges: [C] }
  const env = {
    FUNKPOST_NAME: 'env', FUNKPOST_LISTEN: `${B},${D}`, FUNKPOST_BOOTSTRAP: `${B} ${D}`, FUNKPOST_MDNS: '0', FUNKPOST_DHT: 'no',
    FUNKPOST_PROFILE: 'router', FUNKPOST_QUOTA_MB: '2', FUNKPOST_TOR_SOCKS: '127.0.0.1:9002', FUNKPOST_BRIDGES: B, FUNKPOST_ONION_DIR: '/env/onion'
  }
  const flags = { name: 'flag', listen: [A], bootstrap: [A], mdns: true, dht: true, profile: 'laptop', quotaMb: 1, torSocks: '127.0.0.1:9001', bridges: [A], onionDir: '/flag/onion' }
  const h = home(t, config)

  const fromFlags = resolveSettings(h, flags, env)
  t.equal(fromFlags.name, 'flag')
  t.same(fromFlags.listen, [A])
  t.same(fromFlags.bootstrap, [A])
  t.equal(fromFlags.mdns, true, '--mdns beats FUNKPOST_MDNS=0')
  t.equal(fromFlags.dht, true)
  t.equal(fromFlags.profile, 'laptop', '--profile beats FUNKPOST_PROFILE')
  t.equal(fromFlags.quotaBytes, 1024 * 1024)
  t.same(fromFlags.torSocks, { host: '127.0.0.1', port: 9001 })
  t.same(fromFlags.bridges, [A])
  t.equal(fromFlags.onionDir, '/flag/onion')

  const fromEnv = resolveSettings(h, {}, env)
  t.equal(fromEnv.name, 'env')
  t.same(fromEnv.listen, [B, D], 'lists split on commas')
  t.same(fromEnv.bootstrap, [B, D], 'and on spaces')
  t.equal(fromEnv.mdns, false)
  t.equal(fromEnv.dht, false)
  t.equal(fromEnv.profile, 'router')
  t.equal(fromEnv.quotaBytes, 2 * 1024 * 1024)
  t.same(fromEnv.torSocks, { host: '127.0.0.1', port: 9002 })
  t.same(fromEnv.bridges, [B])
  t.equal(fromEnv.onionDir, '/env/onion')

  const fromFile = resolveSettings(h, {}, {})
  t.equal(fromFile.name, 'file')
  t.same(fromFile.listen, [C])
  t.same(fromFile.bootstrap, [C])
  t.equal(fromFile.mdns, true)
  t.equal(fromFile.profile, 'laptop')
  t.same(fromFile.torSocks, { host: '127.0.0.1', port: 9003 })
  t.same(fromFile.bridges, [C])
  t.equal(fromFile.quotaBytes, undefined, 'no quota in the file: the profile decides')

  t.equal(resolveSettings(h, { mdns: false }, { FUNKPOST_MDNS: '1' }).mdns, false, '--no-mdns beats FUNKPOST_MDNS=1')
  t.equal(resolveSettings(home(t, { mdns: false }), {}, {}).mdns, false, 'mdns: false in config.json')
  t.equal(resolveSettings(home(t, { mdns: false }), {}, { FUNKPOST_MDNS: 'yes' }).mdns, true, 'environment beats config.json')
  t.same(resolveSettings(h, {}, { FUNKPOST_LISTEN: '  ' }).listen, [C], 'an empty environment list counts as unset')
})

t.test('--only-tor: needs a SOCKS port, turns mDNS off, listens on loopback only unless told', async t => {
  const h = home(t)
  t.throws(() => resolveSettings(h, { onlyTor: true }, {}), { name: 'ConfigError', message: /--only-tor needs --tor-socks HOST:PORT/ })
  t.throws(() => resolveSettings(home(t, { onlyTor: true }), {}, {}), ConfigError, 'from config.json too')
  const s = resolveSettings(h, { onlyTor: true, torSocks: '127.0.0.1:9050', mdns: true }, {})
  t.equal(s.onlyTor, true)
  t.equal(s.mdns, false, 'no multicast on the clear net, even with --mdns')
  t.same(s.listen, [`/ip4/127.0.0.1/tcp/${DEFAULT_PORT}`])
  t.same(resolveSettings(h, { onlyTor: true, torSocks: '127.0.0.1:9050', listen: ['/ip4/127.0.0.1/tcp/9999'] }, {}).listen, ['/ip4/127.0.0.1/tcp/9999'])
  t.equal(resolveSettings(h, {}, { FUNKPOST_ONLY_TOR: '1', FUNKPOST_TOR_SOCKS: '127.0.0.1:9050' }).onlyTor, true)
})

t.test('bad values are ConfigErrors that say what to use', async t => {
  const h = home(t)
  t.throws(() => resolveSettings(h, { profile: 'bogus' }, {}), { name: 'ConfigError', message: '--profile must be one of router, laptop, not "bogus"' })
  t.throws(() => resolveSettings(h, {}, { FUNKPOST_PROFILE: 'tiny' }), { name: 'ConfigError', message: 'FUNKPOST_PROFILE must be one of router, laptop, not "tiny"' })
  t.throws(() => resolveSettings(h, { quotaMb: 0 }, {}), { name: 'ConfigError', message: '--quota-mb: use a positive number of MiB' })
  t.throws(() => resolveSettings(h, { quotaMb: -5 }, {}), ConfigError)
  t.throws(() => resolveSettings(h, {}, { FUNKPOST_QUOTA_MB: 'lots' }), ConfigError)
  t.throws(() => resolveSettings(h, {}, { FUNKPOST_MDNS: 'maybe' }), { name: 'ConfigError', message: 'FUNKPOST_MDNS must be yes or no (1/0, true/false, on/off), not "maybe"' })
  t.throws(() => resolveSettings(h, { listen: ['garbage'] }, {}), { name: 'ConfigError', message: /"garbage" is not a multiaddr/ })
  t.throws(() => resolveSettings(h, { bootstrap: ['/ip4/300.0.0.1/tcp/1'] }, {}), { name: 'ConfigError', message: /is not a multiaddr/ })
  t.throws(() => resolveSettings(h, {}, { FUNKPOST_BRIDGES: 'nope' }), ConfigError, 'bridges are checked too')
  t.throws(() => resolveSettings(h, { torSocks: 'localhost' }, {}), { name: 'ConfigError', message: /is not HOST:PORT/ })
  t.throws(() => resolveSettings(home(t, '{not json'), {}, {}), { name: 'ConfigError', message: /config\.json is not valid JSON .*; fix or remove it/ })
  t.throws(() => resolveSettings(home(t, '[1, 2]'), {}, {}), { name: 'ConfigError', message: /not valid JSON \(not an object\)/ })
})

t.test('onion port follows the loopback TCP listener', async t => {
  t.equal(onionPortFor(['/ip4/127.0.0.1/tcp/9000']), 9000)
  t.equal(onionPortFor(['/ip4/10.0.0.1/tcp/8000', '/ip4/0.0.0.0/tcp/8001']), 8001, 'loopback or any-address first')
  t.equal(onionPortFor(['/ip4/127.0.0.1/tcp/0']), DEFAULT_PORT, 'a random port cannot be forwarded to')
  t.equal(resolveSettings(home(t), { listen: ['/ip4/127.0.0.1/tcp/7444'] }, {}).onionPort, 7444)
})

t.test('config.json: read, atomic write (0600), name kept across writes', async t => {
  const h = home(t)
  t.same(readConfig(h), {}, 'missing file is empty config')
  writeConfig(h, { profile: 'router', bootstrap: [A] })
  writeName(h, 'alice')
  t.same(readConfig(h), { profile: 'router', bootstrap: [A], name: 'alice' })
  t.equal(fs.statSync(path.join(h, CONFIG_FILE)).mode & 0o777, 0o600)
  t.same(fs.readdirSync(h), [CONFIG_FILE], 'no temp file left behind')
  const s = resolveSettings(h, {}, {})
  t.equal(s.name, 'alice')
  t.equal(s.profile, 'router')
})
