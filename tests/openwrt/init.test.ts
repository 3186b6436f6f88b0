// The procd init script (openwrt/funkpost/files/funkpost.init) under
// `busybox ash` with recording stand-ins for rc.common, /lib/functions.sh and
// procd.sh (tests/openwrt/fixtures). Each case asserts the exact command line,
// environment and procd parameters; the shipped UCI file must equal the
// daemon's router profile. Not covered: real procd/ubus (README).
import t, { type Test } from 'tap'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DEFAULT_LISTEN, PROFILES } from '../../node/profiles.js'
import { uciTable } from '../../node/settings-schema.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const INIT = join(ROOT, 'openwrt/funkpost/files/funkpost.init')
const SHIPPED = readFileSync(join(ROOT, 'openwrt/funkpost/files/funkpost.config'), 'utf8')
const FIXTURES = join(ROOT, 'tests/openwrt/fixtures')
const NODE_STUB = join(FIXTURES, 'node-stub.sh')
const LIB = '/usr/lib/funkpost'
const hasBusybox = spawnSync('busybox', ['ash', '-c', 'true']).status === 0
const skip = hasBusybox ? false : 'busybox not installed (apt-get install busybox)'

interface Section { type: string, name: string, options: Record<string, string>, lists: Record<string, string[]> }

/** UCI syntax: config/option/list lines, '…', "…" or bare values, # comments. */
function parseUci (text: string): Section[] {
  const sections: Section[] = []
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const tokens: string[] = []
    const rest = line.replace(/'([^']*)'|"((?:[^"\\]|\\.)*)"|([^\s'"]+)/g, (_m, sq?: string, dq?: string, bare?: string) => {
      tokens.push(sq ?? dq ?? bare ?? '')
      return ''
    })
    if (rest.trim() !== '') throw new Error(`line ${i + 1}: unbalanced quotes: ${raw}`)
    const [kw, a, b] = tokens
    const cur = sections.at(-1)
    if (kw === 'config' && a !== undefined && tokens.length <= 3) sections.push({ type: a, name: b ?? '', options: {}, lists: {} })
    else if (kw === 'option' && cur !== undefined && a !== undefined && b !== undefined && tokens.length === 3) cur.options[a] = b
    else if (kw === 'list' && cur !== undefined && a !== undefined && b !== undefined && tokens.length === 3) (cur.lists[a] ??= []).push(b)
    else throw new Error(`line ${i + 1}: not UCI: ${raw}`)
  }
  return sections
}

/** A UCI file with section main of type funkpost. */
function uci (values: Record<string, string | string[]>): string {
  const lines = ["config funkpost 'main'"]
  for (const [k, v] of Object.entries(values)) {
    for (const item of Array.isArray(v) ? v : [v]) lines.push(`\t${Array.isArray(v) ? 'list' : 'option'} ${k} '${item}'`)
  }
  return lines.join('\n') + '\n'
}

interface Call { fn: string, args: string[] }
interface Run { calls: Call[], stderr: string, home: string, dir: string }

function runInit (t: Test, config: (home: string) => string, opts: { nodeExit?: number, keep?: string } = {}): Run {
  const dir = opts.keep ?? mkdtempSync(join(tmpdir(), 'funkpost-init-'))
  if (opts.keep === undefined) t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const home = join(dir, 'home')
  mkdirSync(join(dir, 'uci'), { recursive: true })
  writeFileSync(join(dir, 'uci', 'funkpost'), config(home))
  const log = join(dir, 'log')
  writeFileSync(log, '')
  const r = spawnSync('busybox', ['ash', join(FIXTURES, 'rc.common'), INIT, 'start'], {
    env: { PATH: process.env.PATH, FIXTURE_DIR: FIXTURES, FIXTURE_LOG: log, UCI_CONFIG_DIR: join(dir, 'uci'), FIXTURE_NODE: NODE_STUB, FIXTURE_NODE_EXIT: String(opts.nodeExit ?? 0) },
    encoding: 'utf8',
    timeout: 10_000
  })
  t.equal(r.status, 0, `rc.common ran: ${r.stderr}`)
  const calls = readFileSync(log, 'utf8').split('\n').filter(l => l !== '').map(l => {
    const [fn, ...args] = l.split('\x1f')
    return { fn: fn ?? '', args }
  })
  return { calls, stderr: r.stderr, home, dir }
}

/** The one procd instance: its command line, env and other params. */
function instance (calls: Call[]): { command: string[], env: Record<string, string>, params: Record<string, string[]> } | undefined {
  const open = calls.findIndex(c => c.fn === 'procd_open_instance')
  if (open < 0) return undefined
  const close = calls.findIndex(c => c.fn === 'procd_close_instance')
  const command: string[] = []
  const env: Record<string, string> = {}
  const params: Record<string, string[]> = {}
  for (const c of calls.slice(open + 1, close)) {
    const [name, ...values] = c.args
    if (name === undefined) continue
    if (c.fn === 'procd_set_param' && (name === 'command' || name === 'env')) {
      if (name === 'command') command.length = 0
      else for (const k of Object.keys(env)) delete env[k]
    }
    if (name === 'command') command.push(...values)
    else if (name === 'env') for (const kv of values) env[kv.slice(0, kv.indexOf('='))] = kv.slice(kv.indexOf('=') + 1)
    else params[name] = c.fn === 'procd_set_param' ? values : [...(params[name] ?? []), ...values]
  }
  return { command, env, params }
}

const head = (home: string, heap = 64): string[] =>
  [NODE_STUB, `--max-old-space-size=${heap}`, `--import=${LIB}/polyfill.mjs`, `${LIB}/funkpost.mjs`, 'start', '--home', home]
const quotaMb = PROFILES.router.custodyBytes / 2 ** 20
const listenFlags = DEFAULT_LISTEN.flatMap(a => ['--listen', a])

function assertService (t: Test, run: Run): void {
  const fns = run.calls.map(c => c.fn)
  const trig = fns.indexOf('procd_open_trigger')
  t.ok(trig >= 0 && fns[trig + 1] === 'procd_add_reload_trigger' && fns[trig + 2] === 'procd_close_trigger', 'reload trigger registered in service_triggers')
  t.same(run.calls[trig + 1]?.args, ['funkpost'], 'reload trigger on the funkpost UCI package')
}

function assertProcd (t: Test, inst: ReturnType<typeof instance>, home: string): void {
  t.same(inst?.env, { FUNKPOST_HOME: home, LIBC: 'musl' }, 'env')
  t.same(inst?.params.respawn, ['3600', '5', '5'], 'respawn threshold timeout retry')
  t.same(inst?.params.user, ['funkpost'], 'runs as user funkpost')
  t.same(inst?.params.stdout, ['1'])
  t.same(inst?.params.stderr, ['1'])
  t.same(inst?.params.file, ['/etc/config/funkpost', `${LIB}/funkpost.mjs`], 'restart on config or bundle change')
  t.same(inst?.params.term_timeout, ['15'])
}

t.test('shipped UCI file parses and equals the router profile', async t => {
  const sections = parseUci(SHIPPED)
  t.equal(sections.length, 1)
  const main = sections[0]
  t.equal(main?.type, 'funkpost')
  t.equal(main?.name, 'main')
  t.same(main?.options, {
    enabled: '1', profile: 'router', quota_mb: String(quotaMb), mdns: '1', dht: '1',
    data_dir: '/etc/funkpost', user: 'funkpost', max_heap_mb: '64'
  })
  t.equal(quotaMb, 32, 'router custody quota is 32 MiB')
  t.same(main?.lists, { listen: DEFAULT_LISTEN })
  // Every option the init script reads is in the file (set or commented), and the reverse.
  const init = readFileSync(INIT, 'utf8')
  const table = /FUNKPOST_FLAGS='([^']*)'/.exec(init)?.[1].split('\n') ?? []
  t.same(table, uciTable(), 'the init script maps UCI options to flags by the settings schema\'s table')
  const read = new Set([
    ...[...init.matchAll(/(?:config_get(?:_bool)? \w+|config_list_foreach) main (\w+)/g)].map(m => m[1]),
    ...table.map(l => l.split(' ')[0])
  ])
  const documented = new Set([...SHIPPED.matchAll(/^\s*#?(?:option|list) (\w+) /gm)].map(m => m[1]))
  t.same([...documented].sort(), [...read].sort(), 'options read by the init script = options in the UCI file')
  t.throws(() => parseUci("config funkpost 'main\n"), /unbalanced/, 'the parser rejects broken quoting')
})

t.test('init script paths and start order', { skip }, async t => {
  const r = spawnSync('busybox', ['ash', join(FIXTURES, 'rc.common'), INIT, 'vars'], {
    env: { PATH: process.env.PATH, FIXTURE_DIR: FIXTURES, FIXTURE_LOG: '/dev/null' }, encoding: 'utf8', timeout: 10_000
  })
  t.equal(r.stdout.trim(), 'START=95 STOP=10 FUNKPOST_NODE=/usr/bin/node FUNKPOST_LIB=/usr/lib/funkpost')
})

t.test('shipped config: identity once, router defaults', { skip }, async t => {
  const first = runInit(t, home => {
    const text = SHIPPED.replace("option data_dir '/etc/funkpost'", `option data_dir '${home}'`)
    t.not(text, SHIPPED, 'data_dir moved to a temp dir')
    return text
  })
  const { home } = first
  const node = first.calls.filter(c => c.fn === 'node')
  t.same(node.map(c => c.args), [[`--import=${LIB}/polyfill.mjs`, `${LIB}/funkpost.mjs`, 'init', '--home', home, `FUNKPOST_HOME=${home}`, 'LIBC=musl']], 'funkpost init ran once')
  t.ok(existsSync(join(home, 'identity.key')))
  const fns = first.calls.map(c => c.fn)
  t.ok(fns.indexOf('node') < fns.indexOf('chown') && fns.indexOf('chown') < fns.indexOf('procd_open_instance'), 'init, chown, then the instance')
  t.same(first.calls.find(c => c.fn === 'chown')?.args, ['-R', 'funkpost', home])
  const inst = instance(first.calls)
  t.same(inst?.command, [...head(home), '--profile', 'router', '--quota-mb', '32', ...listenFlags, '--mdns', '--dht'], 'command line')
  assertProcd(t, inst, home)
  assertService(t, first)
  t.same(first.calls.find(c => c.fn === 'start_service_rc')?.args, ['0'])

  const second = runInit(t, h => SHIPPED.replace("option data_dir '/etc/funkpost'", `option data_dir '${h}'`), { keep: first.dir })
  t.equal(second.calls.filter(c => c.fn === 'node').length, 0, 'no second init: identity.key exists')
  t.same(instance(second.calls)?.command, inst?.command)
})

t.test('disabled: nothing started', { skip }, async t => {
  const run = runInit(t, home => uci({ enabled: '0', data_dir: home }))
  t.notOk(instance(run.calls), 'no instance')
  t.equal(run.calls.filter(c => c.fn === 'node' || c.fn === 'chown').length, 0, 'no init, no chown')
  t.notOk(existsSync(run.home), 'data_dir not created')
  assertService(t, run)
})

t.test('two bootstrap peers: two flags in order', { skip }, async t => {
  const peers = ['/ip4/10.0.0.1/tcp/7337/p2p/12D3KooWA', '/dns4/node.example/tcp/7337/p2p/12D3KooWB']
  const run = runInit(t, home => uci({ enabled: '1', data_dir: home, bootstrap: peers }))
  t.same(instance(run.calls)?.command, [...head(run.home), '--profile', 'router', '--bootstrap', peers[0] ?? '', '--bootstrap', peers[1] ?? ''])
  assertProcd(t, instance(run.calls), run.home)
})

t.test('tor: socks, only_tor and bridges become flags; the onion hostname is copied', { skip }, async t => {
  const bridges = ['/onion3/aaaa:7337/p2p/12D3KooWC', '/onion3/bbbb:7337/p2p/12D3KooWD']
  const onion = 'abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion\n'
  const run = runInit(t, home => {
    const hs = join(dirname(home), 'funkpost-hs')
    mkdirSync(hs)
    writeFileSync(join(hs, 'hostname'), onion)
    return uci({ enabled: '1', data_dir: home, tor_socks: '127.0.0.1:9050', onion_dir: hs, only_tor: '1', bridge: bridges, listen: ['/ip4/127.0.0.1/tcp/7337'] })
  })
  const inst = instance(run.calls)
  t.same(inst?.command, [
    ...head(run.home), '--profile', 'router', '--listen', '/ip4/127.0.0.1/tcp/7337',
    '--bridge', bridges[0] ?? '', '--bridge', bridges[1] ?? '', '--tor-socks', '127.0.0.1:9050', '--only-tor'
  ])
  t.same(inst?.env, { FUNKPOST_HOME: run.home, LIBC: 'musl', FUNKPOST_ONION_DIR: join(run.home, 'onion') })
  t.equal(readFileSync(join(run.home, 'onion', 'hostname'), 'utf8'), onion, 'hostname copied where the node can read it')
  t.same(inst?.params.respawn, ['3600', '5', '5'])
  t.same(inst?.params.user, ['funkpost'])

  const early = runInit(t, home => uci({ enabled: '1', data_dir: home, tor_socks: '127.0.0.1:9050', onion_dir: join(dirname(home), 'missing') }))
  t.same(instance(early.calls)?.env.FUNKPOST_ONION_DIR, join(early.home, 'onion'), 'tor has not written it yet: still starts')
  t.match(early.stderr, /no .*hostname yet/)
})

t.test('laptop profile, name, no mDNS/DHT, debug, own heap and user', { skip }, async t => {
  const run = runInit(t, home => uci({ enabled: 'yes', data_dir: home, profile: 'laptop', name: 'Kiez Node', mdns: '0', dht: 'off', debug: 'funkpost:*', max_heap_mb: '96', user: 'mesh' }))
  const inst = instance(run.calls)
  t.same(inst?.command, [
    ...head(run.home, 96), '--name', 'Kiez Node', '--profile', 'laptop', '--no-mdns', '--no-dht'
  ], 'no --quota-mb: the laptop profile keeps its own')
  t.same(inst?.env, { FUNKPOST_HOME: run.home, LIBC: 'musl', DEBUG: 'funkpost:*' })
  t.same(inst?.params.user, ['mesh'])
  t.same(run.calls.find(c => c.fn === 'chown')?.args, ['-R', 'mesh', run.home])
  t.same(run.calls.find(c => c.fn === 'node')?.args.slice(2, 7), ['init', '--home', run.home, '--name', 'Kiez Node'], 'init gets the name')
})

t.test('refuses settings that cannot start', { skip }, async t => {
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['only_tor without tor_socks', { only_tor: '1' }, /only_tor needs tor_socks/],
    ['unknown profile', { profile: 'tiny' }, /profile 'tiny'/],
    ['heap not a number', { max_heap_mb: '64m' }, /max_heap_mb/],
    ['quota not a number', { quota_mb: '-1' }, /quota_mb/]
  ]
  for (const [what, values, message] of cases) {
    const run = runInit(t, home => uci({ enabled: '1', data_dir: home, ...values }))
    t.notOk(instance(run.calls), `${what}: no instance`)
    t.match(run.stderr, message, `${what}: says why`)
    t.same(run.calls.find(c => c.fn === 'start_service_rc')?.args, ['1'], `${what}: start_service fails`)
  }
  const root = runInit(t, () => uci({ enabled: '1', data_dir: '/' }))
  t.notOk(instance(root.calls), 'data_dir / refused')
  t.equal(root.calls.filter(c => c.fn === 'chown').length, 0, 'never chown -R /')
  const failed = runInit(t, home => uci({ enabled: '1', data_dir: home }), { nodeExit: 1 })
  t.notOk(instance(failed.calls), 'funkpost init failed: no instance')
  t.match(failed.stderr, /could not create the identity/)
})
