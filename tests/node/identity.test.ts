/**
 * The identity key file on a real disk: created 0600, never overwritten
 * without force, and every way a load can fail is a named error that names
 * the file and leaves it untouched.
 */
import t from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createIdentity, loadIdentity, identityPath, identityFromSeed } from '../../node/identity.js'
import { IdentityCorruptError, IdentityExistsError, IdentityMissingError, IdentityPermissionError } from '../../node/errors.js'
import { nobleEd25519 } from '../../mesh/ed25519.js'

function tempHome (t: { teardown: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'funkpost-identity-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  return path.join(dir, 'home')
}

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const mode = (file: string): number => fs.statSync(file).mode & 0o777

t.test('createIdentity writes a 0600 key that loads back', async t => {
  const home = tempHome(t)
  const created = createIdentity(home)
  const file = identityPath(home)
  t.equal(mode(file), 0o600)
  t.equal(created.seed.length, 32)
  t.equal(toHex(created.publicKey), toHex(nobleEd25519.publicKey(created.seed)))
  t.match(created.id, /^12D3KooW/)
  const loaded = loadIdentity(home)
  t.equal(loaded.id, created.id)
  t.equal(toHex(loaded.seed), toHex(created.seed))
  t.equal(toHex(loaded.xSecret), toHex(created.xSecret))
  t.equal(toHex(loaded.xPublic), toHex(created.xPublic))
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8'))
  t.equal(parsed.type, 'funkpost-identity')
  t.equal(parsed.v, 1)
  t.same(fs.readdirSync(home), ['identity.key'], 'no temp file left behind')
  t.not(createIdentity(tempHome(t)).id, created.id, 'a fresh key each time')
})

t.test('refuses to overwrite without force; replaces with force', async t => {
  const home = tempHome(t)
  const first = createIdentity(home)
  const before = fs.readFileSync(identityPath(home))
  t.throws(() => createIdentity(home), IdentityExistsError)
  t.throws(() => createIdentity(home, { force: false }), { name: 'IdentityExistsError', message: /--force/ })
  t.same(fs.readFileSync(identityPath(home)), before, 'file untouched')
  t.equal(loadIdentity(home).id, first.id)
  const second = createIdentity(home, { force: true })
  t.not(second.id, first.id)
  t.equal(loadIdentity(home).id, second.id)
  t.equal(mode(identityPath(home)), 0o600)
})

t.test('loadIdentity failures are named errors that name the file and change nothing', async t => {
  await t.test('missing', async t => {
    const home = tempHome(t)
    t.throws(() => loadIdentity(home), { name: 'IdentityMissingError', message: /funkpost init/ })
    t.throws(() => loadIdentity(home), IdentityMissingError)
    t.notOk(fs.existsSync(identityPath(home)), 'not created by a load')
  })

  await t.test('readable by others', async t => {
    const home = tempHome(t)
    createIdentity(home)
    const file = identityPath(home)
    for (const m of [0o644, 0o640, 0o604, 0o660]) {
      fs.chmodSync(file, m)
      const before = fs.readFileSync(file)
      t.throws(() => loadIdentity(home), IdentityPermissionError, m.toString(8))
      t.throws(() => loadIdentity(home), { message: new RegExp(file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) }, 'names the file')
      t.same(fs.readFileSync(file), before)
      t.equal(mode(file), m, 'mode not silently changed')
    }
  })

  const corrupt = (name: string, content: string | ((valid: Record<string, unknown>) => string)): void => {
    t.test(`corrupt: ${name}`, async t => {
      const home = tempHome(t)
      createIdentity(home)
      const file = identityPath(home)
      const valid = JSON.parse(fs.readFileSync(file, 'utf8'))
      fs.writeFileSync(file, typeof content === 'string' ? content : content(valid), { mode: 0o600 })
      const before = fs.readFileSync(file)
      t.throws(() => loadIdentity(home), IdentityCorruptError)
      t.throws(() => loadIdentity(home), { name: 'IdentityCorruptError', message: new RegExp(path.basename(path.dirname(file)) + '/identity\\.key') }, 'names the file')
      t.same(fs.readFileSync(file), before, 'bytes unchanged: never regenerated')
      t.same(fs.readdirSync(home), ['identity.key'])
    })
  }
  corrupt('garbage', '\x00\x01garbage, not json')
  corrupt('empty file', '')
  corrupt('JSON null', 'null')
  corrupt('wrong type', v => JSON.stringify({ ...v, type: 'something-else' }))
  corrupt('wrong version', v => JSON.stringify({ ...v, v: 2 }))
  corrupt('short seed', v => JSON.stringify({ ...v, seed: Buffer.alloc(31).toString('base64') }))
  corrupt('seed not a string', v => JSON.stringify({ ...v, seed: 42 }))
  corrupt('mismatched publicKey', v => JSON.stringify({ ...v, publicKey: Buffer.from(identityFromSeed(new Uint8Array(32).fill(7)).publicKey).toString('base64') }))
  corrupt('mismatched seed', v => JSON.stringify({ ...v, seed: Buffer.alloc(32, 7).toString('base64') }))
})

t.test('identityFromSeed refuses a seed of the wrong length', async t => {
  t.throws(() => identityFromSeed(new Uint8Array(31)), IdentityCorruptError)
  t.equal(identityFromSeed(new Uint8Array(32).fill(1)).id, '12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5')
})
