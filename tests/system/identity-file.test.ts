/**
 * `funkpost identity export|import` as a person moving to a new machine
 * uses it: the sealed file is 0600, opens only with the passphrase, brings
 * the id and the contacts (verified marks included) into an empty home, and
 * every refusal is one line with exit code 1, changing nothing.
 */
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { cli, cliJson, initHome, tempDir, ensureBuilt } from './cli-helpers.js'

ensureBuilt()

t.test('export, then import into an empty home: same id, same contacts', async t => {
  const dir = tempDir(t)
  const { home: alice, id } = await initHome(dir, 'alice')
  const bobId = (await initHome(dir, 'bob')).id
  const carolId = (await initHome(dir, 'carol')).id
  await cliJson(['contacts', 'add', 'bob', bobId, '--home', alice])
  await cliJson(['contacts', 'add', 'carol', carolId, '--home', alice])
  await cliJson(['verify', 'bob', '--confirm', '--home', alice])
  const pass = path.join(dir, 'pass')
  fs.writeFileSync(pass, 'a long enough passphrase\n')
  const file = path.join(dir, 'usb', 'alice.funkpost')
  const ex = await cliJson(['identity', 'export', file, '--passphrase-file', pass, '--home', alice])
  t.same(ex, { file, id, contacts: 2 })
  t.equal(fs.statSync(file).mode & 0o777, 0o600, 'the file is 0600')
  t.notMatch(fs.readFileSync(file, 'utf8'), new RegExp(bobId), 'contacts are not readable in the file')

  const fresh = path.join(dir, 'new-laptop')
  const im = await cliJson(['identity', 'import', file, '--passphrase-file', pass, '--home', fresh])
  t.same(im, { id, home: fresh, created: true, contacts: 2 })
  t.equal(fs.statSync(path.join(fresh, 'identity.key')).mode & 0o777, 0o600, 'identity.key is 0600')
  t.equal((await cliJson<{ id: string }>(['id', '--home', fresh])).id, id, 'the same id')
  const contacts = await cliJson<Array<{ name: string, id: string, verified: boolean }>>(['contacts', '--home', fresh])
  t.same(contacts.map(c => [c.name, c.id, c.verified]).sort(), [['bob', bobId, true], ['carol', carolId, false]].sort(), 'contacts and their verified marks')
  t.same(await cliJson(['identity', 'import', file, '--passphrase-file', pass, '--home', fresh]), { id, home: fresh, created: false, contacts: 0 }, 'importing again changes nothing')
})

t.test('refusals: one line, exit code 1, nothing changed', async t => {
  const dir = tempDir(t)
  const { home } = await initHome(dir, 'dora')
  const other = await initHome(dir, 'eve')
  const pass = path.join(dir, 'pass')
  fs.writeFileSync(pass, 'a long enough passphrase\n')
  const wrong = path.join(dir, 'wrong')
  fs.writeFileSync(wrong, 'not the passphrase at all\n')
  const short = path.join(dir, 'short')
  fs.writeFileSync(short, 'short\n')
  const file = path.join(dir, 'dora.funkpost')
  await cliJson(['identity', 'export', file, '--passphrase-file', pass, '--home', home])
  const damaged = path.join(dir, 'damaged.funkpost')
  const f = JSON.parse(fs.readFileSync(file, 'utf8'))
  const data = Buffer.from(f.data, 'base64')
  data[5] ^= 0xff
  fs.writeFileSync(damaged, JSON.stringify({ ...f, data: data.toString('base64') }))
  const garbage = path.join(dir, 'garbage.funkpost')
  fs.writeFileSync(garbage, 'PK\u0003\u0004 not ours')
  const empty = path.join(dir, 'empty-home')

  const cases: Array<[string[], RegExp]> = [
    [['identity', 'import', file, '--passphrase-file', wrong, '--home', empty], /^funkpost: wrong passphrase, or the file was changed\n$/],
    [['identity', 'import', damaged, '--passphrase-file', pass, '--home', empty], /^funkpost: wrong passphrase, or the file was changed\n$/],
    [['identity', 'import', garbage, '--passphrase-file', pass, '--home', empty], /^funkpost: not a funkpost file \(not JSON\)\n$/],
    [['identity', 'import', path.join(dir, 'missing'), '--passphrase-file', pass, '--home', empty], /^funkpost: cannot read .*missing: ENOENT\n$/],
    [['identity', 'import', file, '--passphrase-file', pass, '--home', other.home], /^funkpost: .*identity\.key holds another identity \(12D3KooW\w+\); import into an empty --home, or move that one away first\n$/],
    [['identity', 'export', file, '--passphrase-file', pass, '--home', home], /^funkpost: .*dora\.funkpost exists; choose another file or pass --force to replace it\n$/],
    [['identity', 'export', path.join(dir, 'x.funkpost'), '--passphrase-file', short, '--home', home], /^funkpost: use a passphrase of at least 8 characters\n$/]
  ]
  for (const [args, message] of cases) {
    const r = await cli(args)
    t.equal(r.code, 1, `${args.slice(0, 2).join(' ')} ${path.basename(args[2])}: exit 1`)
    t.match(r.stderr, message)
  }
  t.notOk(fs.existsSync(path.join(empty, 'identity.key')), 'no identity written by a failed import')
  t.equal((await cliJson<{ id: string }>(['id', '--home', other.home])).id, other.id, 'the other identity is untouched')
  t.notOk(fs.existsSync(path.join(dir, 'x.funkpost')), 'no file written with a weak passphrase')
  const noPass = await cli(['identity', 'import', file, '--home', empty])
  t.equal(noPass.code, 2, 'no passphrase source outside a terminal: a usage error')
  t.match(noPass.stderr, /^funkpost: no passphrase: give --passphrase-file FILE or FUNKPOST_PASSPHRASE, or run it in a terminal\n$/)
  const env = await cli(['identity', 'import', file, '--home', empty, '--json'], { env: { FUNKPOST_PASSPHRASE: 'a long enough passphrase' } })
  t.equal(env.code, 0, 'FUNKPOST_PASSPHRASE works too')
})
