// openwrt/build.mjs: two builds give byte-identical .ipk files; unpacked with
// GNU tar (and busybox tar, whose code opkg's unpacker shares), they hold the
// control fields, files, modes and owners an OpenWrt 24.10 opkg expects, and
// the packaged bundle runs with Node from its own usr/lib/funkpost tree.
// Not covered: a real opkg/apk install, procd, ARM hardware (README).
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version
const FULL = `${VERSION}-1`
const LIB = './usr/lib/funkpost'
const MUSL = `${LIB}/node_modules/classic-level/prebuilds/linux-x64/classic-level.musl.node`

const work = mkdtempSync(join(tmpdir(), 'funkpost-ipk-'))
t.teardown(() => rmSync(work, { recursive: true, force: true }))

function build (out: string, epoch?: string): void {
  const env: NodeJS.ProcessEnv = { ...process.env }
  delete env.SOURCE_DATE_EPOCH
  if (epoch !== undefined) env.SOURCE_DATE_EPOCH = epoch
  const r = spawnSync(process.execPath, [join(ROOT, 'openwrt/build.mjs'), '--out', out], { env, encoding: 'utf8', timeout: 120_000 })
  if (r.status !== 0) throw new Error(`build failed: ${r.stderr}`)
}

function sh (cmd: string, args: string[], cwd = work): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 30_000 })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`)
  return r.stdout
}

const sha = (f: string): string => createHash('sha256').update(readFileSync(f)).digest('hex')

interface Entry { mode: number, owner: string, size: number, date: string, name: string, dir: boolean }

/** GNU `tar -tvzf` lines: "-rwxr-xr-x root/root 3622 1970-01-01 00:00 ./etc/init.d/funkpost". */
function list (archive: string): Entry[] {
  return sh('tar', ['--utc', '-tvzf', archive]).split('\n').filter(l => l !== '').map(l => {
    const m = /^([-d])([rwx-]{9}) (\S+)\s+(\d+) (\S+ \S+) (.+)$/.exec(l)
    if (m === null) throw new Error(`unexpected tar line ${l}`)
    const bits = [...(m[2] ?? '')].reduce((acc, c) => acc * 2 + (c === '-' ? 0 : 1), 0)
    return { dir: m[1] === 'd', mode: bits, owner: m[3] ?? '', size: Number(m[4]), date: m[5] ?? '', name: m[6] ?? '' }
  })
}

/** Unpack one .ipk into dir/{outer,control,data}; returns dir. */
function unpack (ipk: string, dir: string): string {
  for (const sub of ['outer', 'control', 'data']) mkdirSync(join(dir, sub), { recursive: true })
  sh('tar', ['-xzf', ipk, '-C', join(dir, 'outer')])
  sh('tar', ['-xzf', join(dir, 'outer', 'data.tar.gz'), '-C', join(dir, 'data')])
  sh('tar', ['-xzf', join(dir, 'outer', 'control.tar.gz'), '-C', join(dir, 'control')])
  return dir
}

function fields (control: string): Record<string, string> {
  const out: Record<string, string> = {}
  let last = ''
  for (const line of control.split('\n')) {
    if (line.startsWith(' ')) out[last] += '\n' + line
    else if (line.includes(': ')) {
      last = line.slice(0, line.indexOf(': '))
      out[last] = line.slice(line.indexOf(': ') + 2)
    }
  }
  return out
}

/** Data files whose bytes differ between two .ipk files (for the failure message). */
function differing (x: string, y: string): string[] {
  const [dx, dy] = [unpack(x, join(work, 'diff-x')), unpack(y, join(work, 'diff-y'))]
  const files = list(join(dx, 'outer', 'data.tar.gz')).filter(e => !e.dir).map(e => e.name)
  return files.filter(f => !existsSync(join(dy, 'data', f)) || sha(join(dx, 'data', f)) !== sha(join(dy, 'data', f)))
}

const a = join(work, 'a')
const b = join(work, 'b')
build(a)
build(b)
const main = join(a, `funkpost_${FULL}_all.ipk`)
const tor = join(a, `funkpost-tor_${FULL}_all.ipk`)

t.test('two builds are byte-identical', async t => {
  t.same(readdirSync(a).sort(), [`funkpost-tor_${FULL}_all.ipk`, `funkpost_${FULL}_all.ipk`])
  for (const name of readdirSync(a)) {
    const same = sha(join(a, name)) === sha(join(b, name))
    t.ok(same, `${name} sha256${same ? '' : `; differing files: ${differing(join(a, name), join(b, name)).join(' ')} (sources edited between the builds?)`}`)
  }
  const c = join(work, 'c')
  build(c, '1700000000')
  t.not(sha(join(c, `funkpost_${FULL}_all.ipk`)), sha(main), 'SOURCE_DATE_EPOCH changes the bytes')
  t.ok(list(join(c, `funkpost_${FULL}_all.ipk`)).every(e => e.date === '2023-11-14 22:13'), 'and every mtime')
})

t.test('funkpost ipk: outer archive, control, conffiles', async t => {
  const outer = list(main)
  t.same(outer.map(e => e.name), ['./debian-binary', './data.tar.gz', './control.tar.gz'], 'ipkg-build order')
  t.ok(outer.every(e => e.owner === 'root/root' && e.date === '1970-01-01 00:00'), 'root/root, mtime 0')
  const d = unpack(main, join(work, 'u-main'))
  t.equal(readFileSync(join(d, 'outer', 'debian-binary'), 'utf8'), '2.0\n')
  const ctl = fields(readFileSync(join(d, 'control', 'control'), 'utf8'))
  t.equal(ctl.Package, 'funkpost')
  t.equal(ctl.Version, FULL)
  t.match(ctl.Depends, /(^|, )node(,|$)/)
  t.equal(ctl.Architecture, 'all')
  t.equal(ctl['Require-User'], 'funkpost:funkpost', 'default_postinst creates the user')
  t.equal(ctl.License, 'AGPL-3.0-or-later')
  t.ok(ctl.Section !== undefined && ctl.Source !== undefined && ctl.Description !== undefined)
  const data = list(join(d, 'outer', 'data.tar.gz'))
  const bytes = data.filter(e => !e.dir).reduce((s, e) => s + e.size, 0)
  t.equal(Number(ctl['Installed-Size']), bytes, 'Installed-Size = bytes of the files')
  t.equal(readFileSync(join(d, 'control', 'conffiles'), 'utf8'), '/etc/config/funkpost\n')
  const control = new Map(list(join(d, 'outer', 'control.tar.gz')).map(e => [e.name, e]))
  t.equal(control.get('./postinst')?.mode, 0o755)
  t.equal(control.get('./prerm')?.mode, 0o755)
  t.match(readFileSync(join(d, 'control', 'postinst'), 'utf8'), /default_postinst "\$0" "\$@"/)
  t.match(readFileSync(join(d, 'control', 'prerm'), 'utf8'), /default_prerm "\$0" "\$@"/)
})

t.test('funkpost ipk: files, modes, owners', async t => {
  const d = join(work, 'u-main')
  const data = list(join(d, 'outer', 'data.tar.gz'))
  const byName = new Map(data.map(e => [e.name, e]))
  const mode = (n: string): number | undefined => byName.get(n)?.mode
  t.equal(mode('./etc/init.d/funkpost'), 0o755, 'init script 0755')
  t.equal(mode('./usr/bin/funkpost'), 0o755, 'wrapper 0755')
  t.equal(mode('./etc/config/funkpost'), 0o600, 'UCI file 0600 (INSTALL_CONF)')
  t.equal(mode('./lib/upgrade/keep.d/funkpost'), 0o644)
  t.equal(mode(`${LIB}/funkpost.mjs`), 0o644, 'bundle')
  t.equal(mode(`${LIB}/polyfill.mjs`), 0o644, 'polyfill')
  t.equal(mode(MUSL), 0o644, 'classic-level linux-x64 musl prebuild')
  for (const p of ['classic-level/index.js', 'classic-level/binding.js', 'classic-level/package.json', 'node-gyp-build/index.js', 'abstract-level/index.js', 'module-error/index.js', 'buffer/index.js']) {
    t.ok(byName.has(`${LIB}/node_modules/${p}`), p)
  }
  t.ok(data.every(e => e.owner === 'root/root'), 'all root/root')
  t.ok(data.every(e => e.dir ? e.mode === 0o755 : [0o755, 0o644, 0o600].includes(e.mode)), 'only 0755 dirs, 0755/0644/0600 files')
  const names = data.map(e => e.name)
  t.same(names, [...names].sort(), 'sorted entries')
  t.equal(names.filter(n => /\/prebuilds\//.test(n) && n.endsWith('.node')).length, 1, 'no glibc prebuilds')
  t.notOk(names.some(n => /\/deps\/|\.d\.ts$|\.cc$|binding\.gyp$/.test(n)), 'no LevelDB sources, types or build files')
  for (const f of ['etc/init.d/funkpost', 'usr/bin/funkpost']) {
    const refs = readFileSync(join(d, 'data', f), 'utf8').match(/\/usr\/lib\/funkpost\/[\w.]+\.mjs|\$FUNKPOST_LIB\/[\w.]+\.mjs/g) ?? []
    t.ok(refs.length >= 2, `${f} names the bundle and polyfill`)
    for (const r of refs) t.ok(existsSync(join(d, 'data', r.replace('$FUNKPOST_LIB', '/usr/lib/funkpost'))), `${f}: ${r} is in the package`)
  }
})

t.test('the packaged tree runs and picks the musl addon', async t => {
  const lib = join(work, 'u-main', 'data', 'usr/lib/funkpost')
  const resolveAddon = `console.log(require(${JSON.stringify(join(lib, 'node_modules/node-gyp-build'))}).path(${JSON.stringify(join(lib, 'node_modules/classic-level'))}))`
  const musl = spawnSync(process.execPath, ['-e', resolveAddon], { encoding: 'utf8', env: { ...process.env, LIBC: 'musl' }, timeout: 30_000 })
  t.equal(musl.stdout.trim(), join(lib, MUSL.slice(LIB.length + 1)), 'LIBC=musl selects classic-level.musl.node')
  const env: NodeJS.ProcessEnv = { ...process.env }
  delete env.LIBC
  if (!existsSync('/etc/alpine-release')) {
    const glibc = spawnSync(process.execPath, ['-e', resolveAddon], { encoding: 'utf8', env, timeout: 30_000 })
    t.match(glibc.stderr, /No native build was found/, 'without LIBC=musl (no /etc/alpine-release, as on OpenWrt) nothing matches')
  }
  // This host is not musl: the packaged JavaScript runs with the host's own
  // classic-level addon swapped in (node-gyp-build's CLASSIC_LEVEL_PREBUILD).
  env.CLASSIC_LEVEL_PREBUILD = join(ROOT, 'node_modules/classic-level')
  const cli = (...args: string[]): ReturnType<typeof spawnSync> => spawnSync(process.execPath,
    [`--import=${join(lib, 'polyfill.mjs')}`, join(lib, 'funkpost.mjs'), ...args], { encoding: 'utf8', env, timeout: 30_000, cwd: tmpdir() })
  const help = cli('start', '--help')
  t.equal(help.status, 0, String(help.stderr))
  // Every flag the init script can emit is one `funkpost start` knows.
  const init = readFileSync(join(work, 'u-main', 'data', 'etc/init.d/funkpost'), 'utf8')
  const nodeOptions = new Set(['--max-old-space-size', '--import'])
  const flags = new Set([...init.matchAll(/(?<![\w-])--[a-z][\w-]*/g)].map(m => m[0]).filter(f => !nodeOptions.has(f)))
  t.ok(flags.size >= 11, `init script flags: ${[...flags].join(' ')}`)
  for (const f of flags) t.match(String(help.stdout), new RegExp(`${f.replace(/^--no-/, '--')}\\b`), `start knows ${f}`)
  const home = join(work, 'home')
  const made = cli('init', '--home', home, '--name', 'router-1')
  t.equal(made.status, 0, `init as the init script runs it: ${String(made.stderr)}`)
  t.equal(statSync(join(home, 'identity.key')).mode & 0o777, 0o600, 'identity.key 0600')
  t.not(cli('init', '--home', home).status, 0, 'a second init fails (the init script checks identity.key first)')
})

t.test('busybox tar reads the archives', { skip: spawnSync('busybox', ['true']).status === 0 ? false : 'busybox not installed' }, async t => {
  t.same(sh('busybox', ['tar', '-tzf', main]).trim().split('\n'), ['./debian-binary', './data.tar.gz', './control.tar.gz'])
  const names = sh('busybox', ['tar', '-tzf', join(work, 'u-main', 'outer', 'data.tar.gz')]).split('\n')
  t.ok(names.includes('./etc/init.d/funkpost') && names.includes(MUSL))
})

t.test('funkpost-tor ipk', async t => {
  const d = unpack(tor, join(work, 'u-tor'))
  const ctl = fields(readFileSync(join(d, 'control', 'control'), 'utf8'))
  t.equal(ctl.Package, 'funkpost-tor')
  t.equal(ctl.Version, FULL)
  t.same(ctl.Depends?.split(', ').sort(), ['funkpost', 'tor'])
  t.equal(ctl.Architecture, 'all')
  t.equal(readFileSync(join(d, 'control', 'conffiles'), 'utf8'), '/etc/tor/funkpost\n')
  const data = new Map(list(join(d, 'outer', 'data.tar.gz')).filter(e => !e.dir).map(e => [e.name, e.mode]))
  t.same(Object.fromEntries(data), {
    './etc/tor/funkpost': 0o644,
    './etc/uci-defaults/90-funkpost-tor': 0o755,
    './lib/upgrade/keep.d/funkpost-tor': 0o644,
    './usr/libexec/funkpost-tor-setup': 0o755
  })
  const torrc = readFileSync(join(d, 'data', 'etc/tor/funkpost'), 'utf8')
  t.match(torrc, /^HiddenServiceDir \/etc\/tor\/funkpost-hs$/m, 'keys on flash, not in /var (tmpfs)')
  t.match(torrc, /^HiddenServicePort 7337 127\.0\.0\.1:7337$/m)
  const control = new Map(list(join(d, 'outer', 'control.tar.gz')).map(e => [e.name, e.mode]))
  t.equal(control.get('./prerm-pkg'), 0o755, 'prerm-pkg: undo the tor wiring on removal')
})
