/**
 * Contacts on a real LevelDB sublevel: add/list/remove/verify survive a
 * reopen; a known name never silently takes a new key (KeyChangedError,
 * with WARNING in the message); one key has one name; names and ids are
 * checked; resolve/label turn names, ids and keys into each other.
 */
import t from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { openStores, type Stores } from '../../store-forward/db.js'
import { Contacts, checkName } from '../../node/contacts.js'
import { identityFromSeed } from '../../node/identity.js'

const alice = identityFromSeed(new Uint8Array(32).fill(1))
const bob = identityFromSeed(new Uint8Array(32).fill(2))
const carol = identityFromSeed(new Uint8Array(32).fill(3))
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

async function stores (t: { teardown: (fn: () => Promise<void> | void) => void }): Promise<{ dir: string, open: () => Promise<Stores> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'funkpost-contacts-'))
  const opened: Stores[] = []
  t.teardown(async () => {
    for (const s of opened) await s.db.close().catch(() => {})
    fs.rmSync(dir, { recursive: true, force: true })
  })
  return {
    dir,
    open: async () => { const s = await openStores(path.join(dir, 'db')); opened.push(s); return s }
  }
}

t.test('add, list, get, verify, remove; all of it survives a reopen', async t => {
  const st = await stores(t)
  let s = await st.open()
  let c = await Contacts.open(s.contacts, () => 1234)
  t.same(c.list(), [])
  const r = await c.add('bob', bob.id)
  t.equal(r.created, true)
  t.same(r.contact, { name: 'bob', id: bob.id, key: hex(bob.publicKey), verified: false, added: 1234 })
  t.same(await c.add('bob', bob.id), { contact: r.contact, created: false }, 'the same id again is no change')
  await c.add('alice', alice.id)
  t.same(c.list().map(x => x.name), ['alice', 'bob'], 'sorted by name')
  t.equal((await c.setVerified('bob', true)).verified, true)
  await s.db.close()

  s = await st.open()
  c = await Contacts.open(s.contacts)
  t.same(c.list().map(x => [x.name, x.verified]), [['alice', false], ['bob', true]], 'reopened from disk')
  t.equal(c.get('bob')?.id, bob.id)
  t.equal(c.byKey(hex(alice.publicKey))?.name, 'alice')
  t.equal((await c.remove('alice')).name, 'alice')
  t.same(c.list().map(x => x.name), ['bob'])
  await t.rejects(c.remove('alice'), { name: 'UnknownContactError', message: 'no contact named "alice" (see `funkpost contacts list`)' })
  await t.rejects(c.setVerified('nobody', true), { name: 'UnknownContactError' })
  await s.db.close()

  s = await st.open()
  c = await Contacts.open(s.contacts)
  t.same(c.list().map(x => x.name), ['bob'], 'the removal is on disk')
})

t.test('a different key under a known name is refused loudly; the old contact stays', async t => {
  const st = await stores(t)
  const s = await st.open()
  const c = await Contacts.open(s.contacts)
  await c.add('bob', bob.id)
  await c.setVerified('bob', true)
  await t.rejects(c.add('bob', carol.id), {
    name: 'KeyChangedError',
    message: new RegExp(`^WARNING: "bob" is saved with a different key \\(${bob.id}\\)\\. The new id ${carol.id} is NOT accepted`)
  })
  t.same(c.get('bob'), { name: 'bob', id: bob.id, key: hex(bob.publicKey), verified: true, added: c.get('bob')!.added })
  const again = await Contacts.open(s.contacts)
  t.equal(again.get('bob')?.id, bob.id, 'and on disk')
  await t.rejects(c.add('bobby', bob.id), { name: 'ContactExistsError', message: `${bob.id} is already saved as "bob"` })
  t.equal(c.get('bobby'), undefined)
})

t.test('names and ids are checked', async t => {
  const st = await stores(t)
  const s = await st.open()
  const c = await Contacts.open(s.contacts)
  for (const bad of ['', 'has space', 'a/b', 'x'.repeat(33), 'émoji🙂']) {
    t.throws(() => checkName(bad), { name: 'InvalidArgumentError' }, JSON.stringify(bad))
  }
  t.throws(() => checkName(bob.id), { name: 'InvalidArgumentError', message: /looks like an id; pick a nickname/ })
  for (const good of ['bob', 'Bob_2', 'jürgen', 'a.b-c', 'x'.repeat(32)]) t.equal(checkName(good), good)
  await t.rejects(c.add('bob', 'not-an-id'), { name: 'InvalidKeyError' })
  await t.rejects(c.add('bob', '12D3KooWnope'), /is not a funkpost id/)
  t.same(c.list(), [], 'nothing was saved')
})

t.test('resolve and label', async t => {
  const st = await stores(t)
  const s = await st.open()
  const c = await Contacts.open(s.contacts)
  await c.add('bob', bob.id)
  t.same(c.resolve('bob'), { key: hex(bob.publicKey), id: bob.id, name: 'bob' }, 'by name')
  t.same(c.resolve(bob.id), { key: hex(bob.publicKey), id: bob.id, name: 'bob' }, 'by id of a contact')
  t.same(c.resolve(carol.id), { key: hex(carol.publicKey), id: carol.id, name: undefined }, 'by id of a stranger')
  t.throws(() => c.resolve('nobody'), { name: 'UnknownContactError', message: /"nobody" is neither a contact nor an id; add it with `funkpost contacts add NAME ID`/ })
  t.equal(c.label(hex(bob.publicKey)), 'bob')
  t.equal(c.label(hex(carol.publicKey)), carol.id, 'a stranger is shown by id')
})
