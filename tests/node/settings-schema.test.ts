/**
 * node/settings-schema.ts: config.json is checked key by key (unknown keys
 * named with the nearest known one, wrong types and bad values named), the
 * environment the same way, and the derived artefacts — docs/SETTINGS.md
 * and the OpenWrt init script's option table — equal what the schema makes.
 */
import t from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { readConfig, CONFIG_FILE } from '../../node/config.js'
import { resolveSettings } from '../../node/settings.js'
import { settingsMarkdown, uciTable, yargsOptions, parseText, closestKey, SETTING_KEYS, spec } from '../../node/settings-schema.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

function home (config: unknown): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'funkpost-schema-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  fs.writeFileSync(path.join(dir, CONFIG_FILE), typeof config === 'string' ? config : JSON.stringify(config))
  return dir
}

t.test('config.json: unknown keys, wrong types and bad values are one line naming the key', async t => {
  const cases: Array<[unknown, RegExp]> = [
    [{ mdsn: false }, /config\.json: unknown key "mdsn" \(did you mean "mdns"\?\); `funkpost config docs` lists the keys$/],
    [{ listen: '/ip4/0.0.0.0/tcp/7337' }, /config\.json: "listen" must be a list of strings, e\.g\. \["…", "…"\], not "\/ip4\/0\.0\.0\.0\/tcp\/7337"$/],
    [{ mdns: 'no' }, /config\.json: "mdns" must be true or false, not "no"$/],
    [{ quotaMb: '32' }, /"quotaMb" must be a number, not "32"$/],
    [{ quotaMb: -1 }, /"quotaMb": use a positive number of MiB$/],
    [{ profile: 'tiny' }, /"profile" must be one of router, laptop, not "tiny"$/],
    [{ bootstrap: ['garbage'] }, /"bootstrap": "garbage" is not a multiaddr/],
    [{ logLevel: 'loud' }, /"logLevel" must be one of error, warn, info, debug, trace, not "loud"$/],
    [{ name: 'x'.repeat(65) }, /"name": a name has at most 64 characters$/],
    [{ sweepMs: 10 }, /"sweepMs": use a whole number of ms, at least 50$/]
  ]
  for (const [config, message] of cases) {
    const h = home(config)
    t.throws(() => readConfig(h), { name: 'ConfigError', message }, JSON.stringify(config))
    t.throws(() => resolveSettings(h, {}, {}), { name: 'ConfigError' }, 'a node does not start with it either')
  }
  t.same(readConfig(home({ mdns: false, listen: ['/ip4/0.0.0.0/tcp/1'], quotaMb: 8 })), { mdns: false, listen: ['/ip4/0.0.0.0/tcp/1'], quotaMb: 8 }, 'good values pass')
})

t.test('environment values are parsed by type and named when bad', async t => {
  t.equal(resolveSettings(home({}), {}, { FUNKPOST_LOG_LEVEL: 'debug' }).logLevel, 'debug')
  t.equal(resolveSettings(home({}), {}, { FUNKPOST_SWEEP_MS: '200' }).sweepMs, 200, 'FUNKPOST_SWEEP_MS is a setting like the others')
  t.throws(() => resolveSettings(home({}), {}, { FUNKPOST_SWEEP_MS: 'soon' }), { name: 'ConfigError', message: 'FUNKPOST_SWEEP_MS must be a number, not "soon"' })
  t.throws(() => resolveSettings(home({}), {}, { FUNKPOST_LOG_FORMAT: 'xml' }), { message: 'FUNKPOST_LOG_FORMAT must be one of text, json, not "xml"' })
  t.same(parseText('listen', '/ip4/1.2.3.4/tcp/1, /ip6/::/tcp/1'), ['/ip4/1.2.3.4/tcp/1', '/ip6/::/tcp/1'])
  t.equal(parseText('dht', 'off'), false)
  t.equal(closestKey('xyzzy'), undefined, 'nothing near enough')
  t.equal(closestKey('quota'), 'quotaMb')
  t.equal(closestKey('torsocks'), 'torSocks')
})

t.test('derived: docs/SETTINGS.md, the OpenWrt table and the yargs flags come from the schema', async t => {
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'SETTINGS.md'), 'utf8')
  t.equal(doc, settingsMarkdown(), 'docs/SETTINGS.md is current (regenerate: funkpost config docs > docs/SETTINGS.md)')
  const init = fs.readFileSync(path.join(ROOT, 'openwrt/funkpost/files/funkpost.init'), 'utf8')
  t.same(/FUNKPOST_FLAGS='([^']*)'/.exec(init)?.[1].split('\n'), uciTable(), 'the init script maps exactly the schema\'s UCI options')
  const flags = yargsOptions()
  for (const key of SETTING_KEYS) {
    const s = spec(key)
    if (s.flag !== undefined) t.ok(flags[s.flag] !== undefined, `--${s.flag} is a flag of start and chat`)
    t.ok(doc.includes(`| \`${key}\` |`), `${key} is documented`)
  }
  t.equal(flags.listen.array, true, 'lists repeat')
  t.same(flags.profile.choices, ['router', 'laptop'])
})
