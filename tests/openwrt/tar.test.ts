// openwrt/tar.mjs: GNU tar reads what it writes (including ustar prefix
// splits for paths over 100 bytes), the gzip header carries no time or name,
// and impossible input is refused with a TarError.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
interface TarEntry { name: string, type: 'file' | 'dir', mode: number, data?: Buffer }
const { tar, gzip, parentDirs } = await import(pathToFileURL(join(ROOT, 'openwrt/tar.mjs')).href) as {
  tar: (e: TarEntry[], o?: { mtime?: number, sort?: boolean }) => Buffer
  gzip: (b: Buffer) => Buffer
  parentDirs: (p: string[]) => string[]
}

t.test('GNU tar lists and extracts it', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'funkpost-tar-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const long = `./${'a'.repeat(60)}/${'b'.repeat(60)}/${'c'.repeat(90)}.js`
  const entries: TarEntry[] = [
    { name: './z.txt', type: 'file', mode: 0o600, data: Buffer.from('z') },
    { name: long, type: 'file', mode: 0o755, data: Buffer.alloc(1000, 1) },
    ...parentDirs([long, './z.txt']).map(n => ({ name: n, type: 'dir' as const, mode: 0o755 }))
  ]
  const file = join(dir, 'x.tar.gz')
  const bytes = gzip(tar(entries, { mtime: 1234567890 }))
  writeFileSync(file, bytes)
  t.same([...bytes.subarray(0, 10)], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3], 'gzip: no flags, mtime 0, OS 3')
  const r = spawnSync('tar', ['--utc', '--numeric-owner', '-tvzf', file], { encoding: 'utf8' })
  t.equal(r.status, 0, r.stderr)
  const lines = r.stdout.trim().split('\n')
  t.equal(lines.length, 5, './, ./a…/, ./a…/b…/, the long file, z.txt')
  t.match(lines.find(l => l.endsWith('.js')), /^-rwxr-xr-x 0\/0 +1000 2009-02-13 23:31 \.\/a{60}\/b{60}\/c{90}\.js$/)
  t.match(lines.find(l => l.endsWith('z.txt')), /^-rw------- 0\/0 +1 2009-02-13 23:31 \.\/z\.txt$/)
  t.equal(bytes.equals(gzip(tar([...entries].reverse(), { mtime: 1234567890 }))), true, 'input order does not matter')
  t.equal(spawnSync('tar', ['-xzf', file, '-C', dir]).status, 0, 'extracts')
})

t.test('refuses what ustar cannot hold', async t => {
  t.throws(() => tar([{ name: `./${'x'.repeat(300)}`, type: 'file', mode: 0o644, data: Buffer.alloc(0) }]), { name: 'TarError' })
  t.throws(() => tar([{ name: './a', type: 'file', mode: 0o644, data: Buffer.alloc(0) }, { name: './a', type: 'file', mode: 0o644, data: Buffer.alloc(0) }]), { name: 'TarError', message: /duplicate/ })
})
