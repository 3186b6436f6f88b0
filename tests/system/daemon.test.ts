/**
 * The daemon as scripts and init systems use it: `status --json` polled from
 * the instant `start` is launched (repeated: the daemon comes up every time,
 * never beaten to its store by the poll), `funkpost stop` (clean, JSON, exit
 * codes), listen failures and bad config.json as one line and exit code 1,
 * the profile's outbox cap enforced on offline commands, and `funkpost config`.
 */
import t from 'tap'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import crypto from 'node:crypto'
import { cli, cliJson, initHome, spawnCli, tempDir, waitFor, ensureBuilt, LOOPBACK } from './cli-helpers.js'
import { FunkpostNode } from '../../node/node.js'
import { loadIdentity, identityFromSeed } from '../../node/identity.js'
import { PROFILES } from '../../node/profiles.js'
import { writeConfig } from '../../node/config.js'

ensureBuilt()

t.test('status --json polled from the instant start is launched: the daemon comes up every time', async t => {
  const dir = tempDir(t)
  const { home } = await initHome(dir, 'racer')
  const ROUNDS = 4
  for (let round = 0; round < ROUNDS; round++) {
    const d = spawnCli(t, ['start', '--home', home, ...LOOPBACK], `start #${round}`)
    let polls = 0
    let offline = 0
    const s = await waitFor(`round ${round}: status says online`, async () => {
      polls++
      const r = await cli(['status', '--json', '--home', home])
      if (r.code !== 0) throw new Error(`status exited ${r.code}: ${r.stderr}`)
      const v = JSON.parse(r.stdout) as { online: boolean }
      if (!v.online) offline++
      return v.online ? v : undefined
    }, 30_000, 0)
    t.ok(s.online, `round ${round}: online after ${polls} polls (${offline} answered by an offline store)`)
    t.ok(d.running, `round ${round}: the daemon is still running`)
    t.notMatch(d.stderr, /in use by another funkpost process/, `round ${round}: the daemon never lost its store`)
    const stop = await cliJson<{ stopped: boolean, id: string }>(['stop', '--home', home])
    t.equal(stop.stopped, true)
    const exit = await d.waitExit(15_000)
    t.equal(exit.code, 0, `round ${round}: the daemon exited 0 after \`funkpost stop\``)
  }
})

t.test('funkpost stop: JSON, exit codes, and nothing left behind', async t => {
  const dir = tempDir(t)
  const { home, id } = await initHome(dir, 'stopper')
  const d = spawnCli(t, ['start', '--home', home, ...LOOPBACK], 'start')
  await d.waitOut(/control socket /, 20_000)
  const r = await cli(['stop', '--home', home, '--json'])
  t.equal(r.code, 0)
  t.same(JSON.parse(r.stdout), { stopped: true, id })
  t.equal((await d.waitExit(15_000)).code, 0)
  t.match(d.stdout, /stop requested through the control socket/)
  t.notOk(fs.existsSync(path.join(home, 'funkpost.sock')), 'the socket is gone')
  const again = await cli(['stop', '--home', home])
  t.equal(again.code, 1)
  t.equal(again.stderr, `funkpost: no funkpost node is running for ${home}\n`, 'one line')
  const json = await cli(['stop', '--home', home, '--json'])
  t.same(JSON.parse(json.stderr), { error: 'NoDaemonError', message: `no funkpost node is running for ${home}` })
})

t.test('listen failures and a bad config.json: one line, exit code 1', async t => {
  const dir = tempDir(t)
  const { home } = await initHome(dir, 'errs')
  const busy = net.createServer()
  await new Promise<void>(resolve => busy.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { busy.close() })
  const port = (busy.address() as net.AddressInfo).port
  const inUse = await cli(['start', '--home', home, '--listen', `/ip4/127.0.0.1/tcp/${port}`, '--no-mdns', '--no-dht'], { timeoutMs: 30_000 })
  t.equal(inUse.code, 1, 'busy port: exit 1')
  t.equal(inUse.stderr, `funkpost: cannot listen on /ip4/127.0.0.1/tcp/${port}: the port is in use by another program (another funkpost node?); pick a free one with --listen\n`)
  const absent = await cli(['start', '--home', home, '--listen', '/ip4/192.0.2.77/tcp/7337', '--no-mdns', '--no-dht'], { timeoutMs: 30_000 })
  t.equal(absent.code, 1, 'an address the host does not have: exit 1')
  t.equal(absent.stderr, 'funkpost: cannot listen on /ip4/192.0.2.77/tcp/7337: this host has no such address; use one of its own addresses, or 0.0.0.0 / :: for all\n')
  t.notOk(fs.existsSync(path.join(home, 'funkpost.sock')), 'no socket left behind')

  fs.writeFileSync(path.join(home, 'config.json'), '{"listen": "/ip4/127.0.0.1/tcp/0"}')
  const typed = await cli(['start', '--home', home, '--no-mdns'])
  t.equal(typed.code, 1)
  t.match(typed.stderr, /^funkpost: .*config\.json: "listen" must be a list of strings, e\.g\. \["…", "…"\], not "\/ip4\/127\.0\.0\.1\/tcp\/0"\n$/)
  fs.writeFileSync(path.join(home, 'config.json'), '{"mdns": "no"}')
  const bool = await cli(['status', '--home', home])
  t.equal(bool.code, 1, 'offline commands check it too')
  t.match(bool.stderr, /^funkpost: .*config\.json: "mdns" must be true or false, not "no"\n$/)
  fs.writeFileSync(path.join(home, 'config.json'), '{"quota_mb": 4}')
  const unknown = await cli(['start', '--home', home])
  t.equal(unknown.code, 1)
  t.match(unknown.stderr, /^funkpost: .*config\.json: unknown key "quota_mb" \(did you mean "quotaMb"\?\); `funkpost config docs` lists the keys\n$/)
})

t.test('the router profile caps the outbox, offline too: a clear error, nothing half-written', async t => {
  const dir = tempDir(t)
  const { home } = await initHome(dir, 'capped')
  writeConfig(home, { name: 'capped', profile: 'router' })
  const cap = PROFILES.router.outboxMax
  const node = new FunkpostNode({ home, identity: loadIdentity(home), profile: 'router', listen: [] })
  await node.start({ network: false })
  const to = identityFromSeed(new Uint8Array(crypto.randomBytes(32)))
  for (let i = 0; i < cap; i++) await node.send(to.publicKey, `queued ${i}`)
  t.equal(node.outbox.size, cap)
  await t.rejects(node.send(to.publicKey, 'one too many'), { name: 'QuotaExceededError' })
  const history = node.history.size
  await node.stop()

  const r = await cli(['send', to.id, 'over the cap', '--home', home])
  t.equal(r.code, 1, 'exit code 1')
  t.equal(r.stderr, `funkpost: the outbox is full (${cap} undelivered messages); wait for deliveries, or discard with \`funkpost outbox clear\`\n`)
  const rows = await cliJson<unknown[]>(['outbox', '--home', home])
  t.equal(rows.length, cap, 'the outbox still holds exactly the cap')
  const after = new FunkpostNode({ home, identity: loadIdentity(home), profile: 'router', listen: [] })
  await after.start({ network: false })
  t.equal(after.history.size, history, 'no history line for the refused message')
  await after.stop()
})

t.test('funkpost config: set, get, show, unset, docs; errors named', async t => {
  const dir = tempDir(t)
  const { home } = await initHome(dir, 'cfg')
  const set = await cliJson<{ key: string, value: unknown }>(['config', 'set', 'bootstrap', '/ip4/10.0.0.1/tcp/7337', '/ip4/10.0.0.2/tcp/7337', '--home', home])
  t.same(set, { key: 'bootstrap', value: ['/ip4/10.0.0.1/tcp/7337', '/ip4/10.0.0.2/tcp/7337'], file: path.join(home, 'config.json') })
  t.same((await cliJson<{ value: unknown, source: string }>(['config', 'get', 'bootstrap', '--home', home])).source, 'config.json')
  t.equal((await cliJson<{ value: unknown }>(['config', 'set', 'mdns', 'off', '--home', home])).value, false, 'booleans from off/on/yes/no')
  t.equal((await cliJson<{ value: unknown }>(['config', 'set', 'quotaMb', '12', '--home', home])).value, 12, 'numbers are numbers')
  const shown = await cliJson<Array<{ key: string, value: unknown, source: string }>>(['config', 'show', '--home', home])
  t.same(shown.find(r => r.key === 'quotaMb'), { key: 'quotaMb', value: 12, source: 'config.json', default: "the profile's (router 32, laptop 256)", doc: 'custody quota in MiB: mail held for others' })
  t.equal(shown.find(r => r.key === 'dht')?.source, 'default')
  const env = await cli(['config', 'get', 'profile', '--json', '--home', home], { env: { FUNKPOST_PROFILE: 'router' } })
  t.same(JSON.parse(env.stdout).source, 'environment', 'the environment shows as the source')
  t.same(await cliJson(['config', 'unset', 'quotaMb', '--home', home]), { key: 'quotaMb', removed: true, file: path.join(home, 'config.json') })
  t.same(JSON.parse(fs.readFileSync(path.join(home, 'config.json'), 'utf8')), { name: 'cfg', bootstrap: ['/ip4/10.0.0.1/tcp/7337', '/ip4/10.0.0.2/tcp/7337'], mdns: false })
  t.equal(fs.statSync(path.join(home, 'config.json')).mode & 0o777, 0o600)

  const bad: Array<[string[], number, RegExp]> = [
    [['config', 'set', 'quotaMb', 'lots'], 1, /^funkpost: quotaMb must be a number, not "lots"\n$/],
    [['config', 'set', 'profile', 'tiny'], 1, /^funkpost: profile must be one of router, laptop, not "tiny"\n$/],
    [['config', 'set', 'listen', 'garbage'], 1, /^funkpost: listen: "garbage" is not a multiaddr/],
    [['config', 'set', 'mdsn', 'on'], 1, /^funkpost: unknown setting "mdsn" \(did you mean "mdns"\?\); `funkpost config show` lists them\n$/],
    [['config', 'set', 'mdns'], 2, /^funkpost: give a value: funkpost config set mdns VALUE\n$/],
    [['config', 'get'], 2, /^funkpost: name a setting; `funkpost config show` lists them\n$/],
    [['config', 'frobnicate'], 2, /^funkpost: Invalid values: .*frobnicate/]
  ]
  for (const [args, code, message] of bad) {
    const r = await cli([...args, '--home', home])
    t.equal(r.code, code, `${args.join(' ')}: exit ${code}`)
    t.match(r.stderr, message, `${args.join(' ')}: one line`)
  }
  const docs = await cli(['config', 'docs'])
  t.equal(docs.stdout, fs.readFileSync(path.join(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '../../docs/SETTINGS.md'), 'utf8'), 'config docs prints docs/SETTINGS.md')
})
