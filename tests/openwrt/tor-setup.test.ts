// funkpost-tor's setup script (openwrt/funkpost/files/funkpost-tor.setup)
// under `busybox ash` with stand-in uci, ubus and chown (tests/openwrt/
// fixtures/bin) and init scripts in a temporary $IPKG_INSTROOT. Asserts the
// UCI changes (tor.conf.tail_include, funkpost tor_socks/onion_dir), that
// they are idempotent, leave the user's own settings alone, are undone by
// `disable`, and that only running services are restarted.
import t, { type Test } from 'tap'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const SETUP = join(ROOT, 'openwrt/funkpost/files/funkpost-tor.setup')
const BIN = join(ROOT, 'tests/openwrt/fixtures/bin')
const skip = spawnSync('busybox', ['ash', '-c', 'true']).status === 0 ? false : 'busybox not installed (apt-get install busybox)'

// An init script stand-in: records `<name> <action>`; tor's writes the hostname.
const initStub = (name: string): string => `#!/bin/sh
printf 'init.d\\037${name}\\037%s\\n' "$1" >>"$FIXTURE_LOG"
${name === 'tor' ? 'mkdir -p "$IPKG_INSTROOT/etc/tor/funkpost-hs" && echo x.onion >"$IPKG_INSTROOT/etc/tor/funkpost-hs/hostname"' : ''}
`

interface World { root: string, state: string, log: string }

function world (t: Test, uci: Record<string, string | string[]>): World {
  const dir = mkdtempSync(join(tmpdir(), 'funkpost-torsetup-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const w = { root: join(dir, 'root'), state: join(dir, 'uci'), log: join(dir, 'log') }
  mkdirSync(join(w.root, 'etc/init.d'), { recursive: true })
  mkdirSync(join(w.root, 'etc/tor'), { recursive: true })
  mkdirSync(w.state)
  for (const name of ['tor', 'funkpost']) writeFileSync(join(w.root, 'etc/init.d', name), initStub(name), { mode: 0o755 })
  for (const [k, v] of Object.entries(uci)) writeFileSync(join(w.state, k), (Array.isArray(v) ? v : [v]).join('\n') + '\n')
  return w
}

function run (w: World, verb: string, running: string[]): { status: number | null, calls: string[][], stderr: string } {
  writeFileSync(w.log, '')
  const r = spawnSync('busybox', ['ash', SETUP, verb], {
    env: { PATH: `${BIN}:${process.env.PATH ?? ''}`, IPKG_INSTROOT: w.root, FIXTURE_LOG: w.log, FIXTURE_UCI_STATE: w.state, FIXTURE_RUNNING: running.join(' ') },
    encoding: 'utf8',
    timeout: 30_000
  })
  const calls = readFileSync(w.log, 'utf8').split('\n').filter(l => l !== '').map(l => l.split('\x1f'))
  return { status: r.status, calls, stderr: r.stderr }
}

function state (w: World): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const k of readdirSync(w.state).sort()) out[k] = readFileSync(join(w.state, k), 'utf8').split('\n').filter(l => l !== '')
  return out
}

const base = { 'tor.conf': 'tor', 'tor.conf.tail_include': '/etc/tor/custom', funkpost: 'funkpost', 'funkpost.main': 'funkpost' }

t.test('enable wires tor and funkpost, restarts what runs, twice is once', { skip }, async t => {
  const w = world(t, base)
  const r = run(w, 'enable', ['tor', 'funkpost'])
  t.equal(r.status, 0, r.stderr)
  t.same(state(w), {
    ...Object.fromEntries(Object.entries(base).map(([k, v]) => [k, [v]])),
    'tor.conf.tail_include': ['/etc/tor/custom', '/etc/tor/funkpost'],
    'funkpost.main.tor_socks': ['127.0.0.1:9050'],
    'funkpost.main.onion_dir': ['/etc/tor/funkpost-hs']
  })
  const hs = join(w.root, 'etc/tor/funkpost-hs')
  t.equal(statSync(hs).mode & 0o777, 0o700, 'onion service dir 0700')
  t.ok(r.calls.some(c => c.join(' ') === `chown tor:tor ${hs}`), 'owned by tor')
  const restarts = r.calls.filter(c => c[0] === 'init.d').map(c => c.slice(1).join(' '))
  t.same(restarts, ['tor restart', 'funkpost restart'], 'tor first, then funkpost (after the hostname exists)')
  t.ok(r.calls.some(c => c.join(' ') === 'uci commit tor') && r.calls.some(c => c.join(' ') === 'uci commit funkpost'))

  const again = run(w, 'enable', ['tor', 'funkpost'])
  t.equal(again.status, 0)
  t.same(state(w)['tor.conf.tail_include'], ['/etc/tor/custom', '/etc/tor/funkpost'], 'no second tail_include')
})

t.test('first boot (uci-defaults): nothing running, nothing restarted; tor.conf created', { skip }, async t => {
  const w = world(t, { funkpost: 'funkpost', 'funkpost.main': 'funkpost' })
  const r = run(w, 'enable', [])
  t.equal(r.status, 0, r.stderr)
  t.equal(r.calls.filter(c => c[0] === 'init.d').length, 0, 'no restarts')
  t.same(state(w)['tor.conf'], ['tor'])
  t.same(state(w)['tor.conf.tail_include'], ['/etc/tor/funkpost'])
})

t.test("the user's own tor settings stay", { skip }, async t => {
  const w = world(t, { ...base, 'funkpost.main.tor_socks': '192.168.1.1:9050', 'funkpost.main.only_tor': '1' })
  t.equal(run(w, 'enable', []).status, 0)
  t.same(state(w)['funkpost.main.tor_socks'], ['192.168.1.1:9050'], 'enable keeps it')
  t.equal(run(w, 'disable', []).status, 0)
  t.same(state(w)['funkpost.main.tor_socks'], ['192.168.1.1:9050'], 'disable keeps it')
  t.same(state(w)['funkpost.main.only_tor'], ['1'])
  t.same(state(w)['tor.conf.tail_include'], ['/etc/tor/custom'])
})

t.test('disable undoes enable and keeps the keys', { skip }, async t => {
  const w = world(t, base)
  t.equal(run(w, 'enable', ['tor']).status, 0)
  writeFileSync(join(w.state, 'funkpost.main.only_tor'), '1\n')
  const r = run(w, 'disable', ['tor', 'funkpost'])
  t.equal(r.status, 0, r.stderr)
  t.same(state(w), Object.fromEntries(Object.entries(base).map(([k, v]) => [k, [v]])), 'back to the start')
  t.ok(existsSync(join(w.root, 'etc/tor/funkpost-hs/hostname')), 'onion keys kept for a reinstall')
  t.same(r.calls.filter(c => c[0] === 'init.d').map(c => c.slice(1).join(' ')), ['tor restart', 'funkpost restart'])
  t.equal(run(w, 'bogus', []).status, 2, 'unknown verb')
})
