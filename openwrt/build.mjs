#!/usr/bin/env node
// Builds funkpost's OpenWrt packages without the OpenWrt SDK (openwrt/README.md):
//
//   node openwrt/build.mjs [--out DIR] [--addon ARCH=FILE]...   two .ipk files
//   node openwrt/build.mjs --stage DIR [--addon ARCH=FILE]...   only usr/lib/funkpost
//                                                               (used by the feed Makefile)
//
// The .ipk files are reproducible: the same tree and toolchain give the same
// bytes (fixed mtime = $SOURCE_DATE_EPOCH or 0, sorted entries, root:root,
// explicit modes, gzip without name or time). Needs `npm ci` done first.
import { build as esbuild } from 'esbuild'
import { createHash } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { gzip, parentDirs, tar } from './tar.mjs'

export const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)))
const OPENWRT = join(ROOT, 'openwrt')
const FILES = join(OPENWRT, 'funkpost', 'files')

/** Where the bundle lives on the router (the init script and wrapper point here). */
export const LIB = 'usr/lib/funkpost'

/**
 * classic-level prebuilds shipped in the package. Only linux-x64 has a musl
 * build; the linux-arm and linux-arm64 ones in the npm tarball link against
 * glibc (libc.so.6, GLIBC_2.x symbols) and OpenWrt is musl, so they are left
 * out: ARM routers need an addon built in the OpenWrt SDK (--addon).
 */
export const PREBUILDS = ['linux-x64/classic-level.musl.node']

const BANNER = "import { createRequire as __fpCreateRequire } from 'node:module'; const require = __fpCreateRequire(import.meta.url);"

/**
 * The two packages. `files` are [source in openwrt/funkpost/files, path on
 * the router, mode]; the feed Makefile installs the same (checked by
 * tests/openwrt/makefile.test.ts).
 */
export const PACKAGES = {
  funkpost: {
    depends: ['node'],
    requireUser: 'funkpost:funkpost',
    description: 'Offline-first mesh messenger node (funkpost): signed envelopes, gossip,\n store-and-forward for neighbours, Tor bridges. Runs under procd as user funkpost.',
    conffiles: ['/etc/config/funkpost'],
    bundle: true,
    files: [
      ['funkpost.wrapper', 'usr/bin/funkpost', 0o755],
      ['funkpost.init', 'etc/init.d/funkpost', 0o755],
      ['funkpost.config', 'etc/config/funkpost', 0o600],
      ['funkpost.keep', 'lib/upgrade/keep.d/funkpost', 0o644]
    ],
    control: {}
  },
  'funkpost-tor': {
    depends: ['funkpost', 'tor'],
    description: 'Onion service for funkpost: adds HiddenServicePort 7337 to tor (tail_include,\n keys in /etc/tor/funkpost-hs) and points funkpost at tor\'s SOCKS port 127.0.0.1:9050.',
    conffiles: ['/etc/tor/funkpost'],
    bundle: false,
    files: [
      ['funkpost-tor.torrc', 'etc/tor/funkpost', 0o644],
      ['funkpost-tor.defaults', 'etc/uci-defaults/90-funkpost-tor', 0o755],
      ['funkpost-tor.setup', 'usr/libexec/funkpost-tor-setup', 0o755],
      ['funkpost-tor.keep', 'lib/upgrade/keep.d/funkpost-tor', 0o644]
    ],
    control: { 'prerm-pkg': 'funkpost-tor.prerm-pkg' }
  }
}

export class BuildError extends Error {
  name = 'BuildError'
}

/** Version from package.json, release from the Makefile; the Makefile's PKG_VERSION must agree. */
export function version () {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
  const makefile = readFileSync(join(OPENWRT, 'funkpost', 'Makefile'), 'utf8')
  const mkVersion = /^PKG_VERSION:=(\S+)$/m.exec(makefile)?.[1]
  const release = /^PKG_RELEASE:=(\d+)$/m.exec(makefile)?.[1]
  if (mkVersion !== pkg.version) throw new BuildError(`Makefile PKG_VERSION ${mkVersion} != package.json ${pkg.version}`)
  if (release === undefined) throw new BuildError('Makefile has no PKG_RELEASE')
  return { version: pkg.version, release, full: `${pkg.version}-${release}`, license: pkg.license }
}

const SKIP_DIRS = new Set(['test', 'tests', 'deps', 'prebuilds', 'types', 'docs', 'example', 'examples', 'bench', 'benchmark', 'build', 'coverage', 'node_modules', '.github', '.tap'])
const KEEP_FILE = /(\.(c|m)?js|\.json)$|^(licen[cs]e|copying|notice)(\.[a-z]+)?$/i

function listPackageFiles (dir, base = dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name)
    const st = statSync(full)
    if (st.isDirectory()) {
      if (!SKIP_DIRS.has(name)) listPackageFiles(full, base, out)
    } else if (st.isFile() && KEEP_FILE.test(name) && !name.endsWith('.d.ts')) {
      out.push(relative(base, full).split(sep).join('/'))
    }
  }
  return out
}

/** Find `name` the way Node does from inside `fromDir` (nested node_modules first). */
function resolvePackage (name, fromDir) {
  let dir = fromDir
  for (;;) {
    const candidate = join(dir, 'node_modules', name)
    if (existsSync(join(candidate, 'package.json'))) return candidate
    const parent = dirname(dir)
    if (parent === dir || !parent.startsWith(ROOT)) break
    dir = parent
  }
  throw new BuildError(`cannot find ${name} from ${fromDir}; run npm ci first`)
}

/** classic-level and its runtime dependencies, keeping npm's nesting. */
function nodeModules (addons) {
  const files = new Map()
  const queue = [resolvePackage('classic-level', ROOT)]
  const done = new Set()
  while (queue.length > 0) {
    const dir = queue.shift()
    if (done.has(dir)) continue
    done.add(dir)
    const rel = relative(ROOT, dir).split(sep).join('/') // node_modules/x[/node_modules/y]
    for (const f of listPackageFiles(dir)) files.set(`${LIB}/${rel}/${f}`, { data: readFileSync(join(dir, f)), mode: 0o644 })
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies }).sort()) {
      try {
        queue.push(resolvePackage(dep, dir))
      } catch (err) {
        if (pkg.optionalDependencies?.[dep] === undefined) throw err
      }
    }
  }
  const level = relative(ROOT, resolvePackage('classic-level', ROOT)).split(sep).join('/')
  for (const p of PREBUILDS) {
    files.set(`${LIB}/${level}/prebuilds/${p}`, { data: readFileSync(join(ROOT, level, 'prebuilds', p)), mode: 0o644 })
  }
  for (const [arch, file] of addons) {
    files.set(`${LIB}/${level}/prebuilds/linux-${arch}/classic-level.musl.node`, { data: readFileSync(file), mode: 0o644 })
  }
  return files
}

/** The tree under usr/lib/funkpost: bundle, polyfill, classic-level. Map of path -> { data, mode }. */
export async function stageLib (addons = []) {
  const result = await esbuild({
    absWorkingDir: ROOT,
    entryPoints: [join(ROOT, 'cli', 'main.ts')],
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['classic-level'],
    banner: { js: BANNER },
    legalComments: 'eof',
    outfile: join(ROOT, 'dist', 'openwrt', 'funkpost.mjs'),
    write: false,
    logLevel: 'warning'
  })
  const files = new Map()
  files.set(`${LIB}/funkpost.mjs`, { data: Buffer.from(result.outputFiles[0].contents), mode: 0o644 })
  files.set(`${LIB}/polyfill.mjs`, { data: readFileSync(join(ROOT, 'node', 'polyfill.js')), mode: 0o644 })
  for (const [k, v] of nodeModules(addons)) files.set(k, v)
  return files
}

function entries (files, dirMode = 0o755) {
  const list = [...files].map(([path, f]) => ({ name: `./${path}`, type: 'file', mode: f.mode, data: f.data }))
  for (const d of parentDirs([...files.keys()])) list.push({ name: d, type: 'dir', mode: dirMode })
  return list
}

function controlText (name, spec, v, installedSize, epoch) {
  const lines = [
    `Package: ${name}`,
    `Version: ${v.full}`,
    `Depends: ${spec.depends.join(', ')}`,
    'Source: feeds/funkpost/funkpost',
    'SourceName: funkpost',
    `License: ${v.license}`,
    'Section: net',
    `SourceDateEpoch: ${epoch}`,
    ...(spec.requireUser !== undefined ? [`Require-User: ${spec.requireUser}`] : []),
    'Architecture: all',
    `Installed-Size: ${installedSize}`,
    `Description: ${spec.description}`
  ]
  return lines.join('\n') + '\n'
}

/** One .ipk as a Buffer. */
export function ipk (name, lib, v, epoch) {
  const spec = PACKAGES[name]
  const data = new Map(spec.bundle ? lib : [])
  for (const [src, dest, mode] of spec.files) data.set(dest, { data: readFileSync(join(FILES, src)), mode })
  let installedSize = 0
  for (const f of data.values()) installedSize += f.data.length
  const control = new Map([
    ['control', { data: Buffer.from(controlText(name, spec, v, installedSize, epoch)), mode: 0o644 }],
    ['conffiles', { data: Buffer.from(spec.conffiles.join('\n') + '\n'), mode: 0o644 }],
    ['postinst', { data: readFileSync(join(OPENWRT, 'ipk', 'postinst')), mode: 0o755 }],
    ['prerm', { data: readFileSync(join(OPENWRT, 'ipk', 'prerm')), mode: 0o755 }]
  ])
  for (const [dest, src] of Object.entries(spec.control)) control.set(dest, { data: readFileSync(join(FILES, src)), mode: 0o755 })
  const opts = { mtime: epoch }
  // Outer order as OpenWrt's ipkg-build writes it.
  const outer = [
    { name: './debian-binary', type: 'file', mode: 0o644, data: Buffer.from('2.0\n') },
    { name: './data.tar.gz', type: 'file', mode: 0o644, data: gzip(tar(entries(data), opts)) },
    { name: './control.tar.gz', type: 'file', mode: 0o644, data: gzip(tar(entries(control), opts)) }
  ]
  return gzip(tar(outer, { ...opts, sort: false }))
}

function parseArgs (argv) {
  const args = { out: join(ROOT, 'dist', 'openwrt'), stage: undefined, addons: [] }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const value = () => {
      if (i + 1 >= argv.length) throw new BuildError(`${a} needs a value`)
      return argv[++i]
    }
    if (a === '--out') args.out = value()
    else if (a === '--stage') args.stage = value()
    else if (a === '--addon') {
      const m = /^(arm|arm64|x64)=(.+)$/.exec(value())
      if (m === null) throw new BuildError('--addon wants ARCH=FILE with ARCH arm, arm64 or x64')
      args.addons.push([m[1], m[2]])
    } else throw new BuildError(`unknown argument ${a}`)
  }
  return args
}

function writeTree (dir, files) {
  for (const [path, f] of files) {
    const full = join(dir, path)
    mkdirSync(dirname(full), { recursive: true })
    writeFileSync(full, f.data)
    chmodSync(full, f.mode)
  }
}

export async function main (argv) {
  const args = parseArgs(argv)
  const v = version()
  const epoch = Number(process.env.SOURCE_DATE_EPOCH ?? 0)
  if (!Number.isInteger(epoch) || epoch < 0) throw new BuildError('SOURCE_DATE_EPOCH must be a whole number of seconds')
  const lib = await stageLib(args.addons)
  if (args.stage !== undefined) {
    writeTree(args.stage, lib)
    process.stdout.write(`staged ${lib.size} files in ${join(args.stage, LIB)}\n`)
    return
  }
  mkdirSync(args.out, { recursive: true })
  for (const name of Object.keys(PACKAGES)) {
    const bytes = ipk(name, lib, v, epoch)
    const file = join(args.out, `${name}_${v.full}_all.ipk`)
    writeFileSync(file, bytes)
    const sha = createHash('sha256').update(bytes).digest('hex')
    process.stdout.write(`${file} ${bytes.length} bytes sha256 ${sha}\n`)
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch(err => {
    process.stderr.write(`openwrt/build: ${err instanceof BuildError ? err.message : err.stack}\n`)
    process.exit(1)
  })
}
