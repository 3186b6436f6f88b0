// Lint and format of every shell file under openwrt/ (init script, wrapper,
// uci-defaults, tor setup, ipk maintainer scripts) and of the test stand-ins
// in tests/openwrt/fixtures.
//   shellcheck -x -s sh -e SC2039,SC1091,SC2155,SC2034,SC3043,SC3037,SC3057
//     = Gluon's flags for its packages (scripts/lint-sh.sh): POSIX sh as
//       busybox ash runs it, `local` allowed, rc.common's START/STOP/USE_PROCD
//       not flagged as unused.
//   shfmt -ln posix -ci -d
//     = POSIX dialect, tabs, case items indented as in OpenWrt's own scripts.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const SHELLCHECK = ['-x', '-s', 'sh', '-e', 'SC2039,SC1091,SC2155,SC2034,SC3043,SC3037,SC3057']
const SHFMT = ['-ln', 'posix', '-ci', '-d']

function walk (dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name)
    if (statSync(full).isDirectory()) walk(full, out)
    else out.push(full)
  }
  return out
}

function isShell (file: string): boolean {
  if (file.endsWith('.sh')) return true
  const first = readFileSync(file, 'utf8').split('\n', 1)[0] ?? ''
  return /^#!\s*\/bin\/(ba|a)?sh\b/.test(first)
}

const files = [...walk(join(ROOT, 'openwrt')), ...walk(join(ROOT, 'tests/openwrt/fixtures'))].filter(isShell)
const names = files.map(f => relative(ROOT, f))
const has = (cmd: string, ...args: string[]): boolean => spawnSync(cmd, args.length > 0 ? args : ['--version']).status === 0

t.test('the shell files are found', async t => {
  for (const expected of [
    'openwrt/funkpost/files/funkpost.init',
    'openwrt/funkpost/files/funkpost.wrapper',
    'openwrt/funkpost/files/funkpost-tor.setup',
    'openwrt/funkpost/files/funkpost-tor.defaults',
    'openwrt/funkpost/files/funkpost-tor.prerm-pkg',
    'openwrt/ipk/postinst',
    'openwrt/ipk/prerm',
    'tests/openwrt/fixtures/rc.common'
  ]) t.ok(names.includes(expected), expected)
})

t.test('shellcheck (Gluon flags)', { skip: has('shellcheck') ? false : 'shellcheck not installed (apt-get install shellcheck)' }, async t => {
  const r = spawnSync('shellcheck', [...SHELLCHECK, ...files], { encoding: 'utf8', timeout: 60_000 })
  t.equal(r.status, 0, `shellcheck ${names.join(' ')}\n${r.stdout}${r.stderr}`)
})

t.test('shfmt -ln posix -ci', { skip: has('shfmt') ? false : 'shfmt not installed (apt-get install shfmt)' }, async t => {
  const r = spawnSync('shfmt', [...SHFMT, ...files], { encoding: 'utf8', timeout: 60_000 })
  t.equal(r.status, 0, `shfmt ${names.join(' ')}\n${r.stdout}${r.stderr}`)
})

t.test('busybox ash parses every script', { skip: has('busybox', 'true') ? false : 'busybox not installed (apt-get install busybox)' }, async t => {
  for (const f of files) {
    const r = spawnSync('busybox', ['ash', '-n', f], { encoding: 'utf8', timeout: 10_000 })
    t.equal(r.status, 0, `${relative(ROOT, f)} ${r.stderr}`)
  }
})
