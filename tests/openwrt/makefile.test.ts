// The feed Makefile and openwrt/build.mjs describe the same packages: same
// version, dependencies, conffiles, installed files with the same modes, and
// the same prerm text; `build.mjs --stage` (the Makefile's Build/Compile)
// writes the bundle tree the Makefile copies. No OpenWrt SDK here, so the
// Makefile itself is never run (README).
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const PKG = join(ROOT, 'openwrt/funkpost')
const MAKEFILE = readFileSync(join(PKG, 'Makefile'), 'utf8')
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version

interface PackageSpec { depends: string[], conffiles: string[], files: Array<[string, string, number]>, control: Record<string, string>, bundle: boolean, requireUser?: string }
const buildModule = pathToFileURL(join(ROOT, 'openwrt/build.mjs')).href
const { PACKAGES, LIB } = await import(buildModule) as { PACKAGES: Record<string, PackageSpec>, LIB: string }

/** Body of `define NAME ... endef`. */
function define (name: string): string | undefined {
  const m = new RegExp(`^define ${name.replace(/[/.]/g, '\\$&')}\\n([\\s\\S]*?)^endef$`, 'm').exec(MAKEFILE)
  return m?.[1]
}

const MODES: Record<string, number> = { INSTALL_BIN: 0o755, INSTALL_DATA: 0o644, INSTALL_CONF: 0o600 }

t.test('version and package metadata', async t => {
  t.match(MAKEFILE, /^include \$\(TOPDIR\)\/rules\.mk$/m)
  t.match(MAKEFILE, /^include \$\(INCLUDE_DIR\)\/package\.mk$/m)
  t.match(MAKEFILE, new RegExp(`^PKG_VERSION:=${VERSION.replace(/\./g, '\\.')}$`, 'm'), 'PKG_VERSION = package.json version')
  t.match(MAKEFILE, /^PKG_RELEASE:=1$/m)
  t.match(define('Package/funkpost/Default'), /PKGARCH:=all/)
  t.match(define('Package/funkpost'), /DEPENDS:=\+node\n/)
  t.match(define('Package/funkpost'), /USERID:=funkpost:funkpost\n/)
  t.match(define('Package/funkpost-tor'), /DEPENDS:=\+funkpost \+tor\n/)
  t.match(MAKEFILE, /^\$\(eval \$\(call BuildPackage,funkpost\)\)$/m)
  t.match(MAKEFILE, /^\$\(eval \$\(call BuildPackage,funkpost-tor\)\)$/m)
  for (const [name, spec] of Object.entries(PACKAGES)) {
    const deps = define(`Package/${name}`)?.match(/DEPENDS:=(.*)/)?.[1]?.split(' ').map(d => d.replace(/^\+/, ''))
    t.same(deps, spec.depends, `${name}: same Depends`)
    t.equal(define(`Package/${name}/conffiles`), spec.conffiles.join('\n') + '\n', `${name}: same conffiles`)
  }
  t.equal(define('Package/funkpost')?.match(/USERID:=(\S+)/)?.[1], PACKAGES.funkpost?.requireUser, 'USERID = Require-User')
})

t.test('install sections match build.mjs', async t => {
  const used = new Set<string>()
  for (const [name, spec] of Object.entries(PACKAGES)) {
    const body = define(`Package/${name}/install`) ?? ''
    const installs = [...body.matchAll(/\$\((INSTALL_\w+)\) \.\/files\/(\S+) \$\(1\)\/(\S+)/g)]
      .map(m => [m[2] ?? '', m[3] ?? '', MODES[m[1] ?? ''] ?? -1] as [string, string, number])
    t.same(installs, spec.files, `${name}: same files, destinations and modes`)
    for (const [src] of installs) {
      t.ok(existsSync(join(PKG, 'files', src)), `files/${src} exists`)
      used.add(src)
    }
    for (const src of Object.values(spec.control)) used.add(src)
    t.equal(body.includes(`$(CP) $(PKG_BUILD_DIR)/stage/${LIB}/. $(1)/${LIB}/`), spec.bundle, `${name}: bundle tree copied iff build.mjs packs it`)
  }
  t.same(readdirSync(join(PKG, 'files')).sort(), [...used].sort(), 'every file in files/ is installed or a control script')
})

t.test('funkpost-tor prerm in the Makefile = files/funkpost-tor.prerm-pkg', async t => {
  const body = define('Package/funkpost-tor/prerm')
  t.ok(body)
  t.equal(body?.replace(/\$\$/g, '$'), readFileSync(join(PKG, 'files/funkpost-tor.prerm-pkg'), 'utf8'))
})

t.test('build.mjs --stage writes the tree Build/Compile promises', async t => {
  t.match(define('Build/Compile'), /build\.mjs \\\n\t\t--stage \$\(PKG_BUILD_DIR\)\/stage/)
  const dir = mkdtempSync(join(tmpdir(), 'funkpost-stage-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const r = spawnSync(process.execPath, [join(ROOT, 'openwrt/build.mjs'), '--stage', dir], { encoding: 'utf8', timeout: 120_000 })
  t.equal(r.status, 0, r.stderr)
  t.same(readdirSync(dir), ['usr'], 'only usr/lib/funkpost')
  for (const f of ['funkpost.mjs', 'polyfill.mjs', 'node_modules/classic-level/prebuilds/linux-x64/classic-level.musl.node']) {
    t.ok(existsSync(join(dir, LIB, f)), f)
  }
  t.equal(statSync(join(dir, LIB, 'funkpost.mjs')).mode & 0o777, 0o644)
  const bad = spawnSync(process.execPath, [join(ROOT, 'openwrt/build.mjs'), '--addon', 'mips=/x'], { encoding: 'utf8', timeout: 30_000 })
  t.equal(bad.status, 1, 'unknown addon arch refused')
  t.match(bad.stderr, /--addon wants ARCH=FILE/)
})
