/** mesh/passbox.ts: passphrase-sealed files open with the passphrase only, name what is wrong, and bound what a hostile file can ask for. */
import t from 'tap'
import { sealWithPassphrase, openWithPassphrase, MIN_PASSPHRASE } from '../../mesh/passbox.js'

const FAST = { N: 1024, r: 8, p: 1 }
const plain = new TextEncoder().encode('{"hello":"world"}')

t.test('round trip; wrong passphrase; any changed byte', async t => {
  const f = await sealWithPassphrase('funkpost-test', plain, 'correct horse', FAST)
  t.same(await openWithPassphrase('funkpost-test', JSON.stringify(f), 'correct horse'), plain)
  await t.rejects(openWithPassphrase('funkpost-test', JSON.stringify(f), 'correct hors3'), { name: 'WrongPassphraseError' })
  const data = Buffer.from(f.data, 'base64')
  for (const i of [0, data.length >> 1, data.length - 1]) {
    const bad = Buffer.from(data)
    bad[i] ^= 1
    await t.rejects(openWithPassphrase('funkpost-test', JSON.stringify({ ...f, data: bad.toString('base64') }), 'correct horse'), { name: 'WrongPassphraseError' }, `flipped byte ${i}`)
  }
  const nonce = Buffer.from(f.nonce, 'base64')
  nonce[3] ^= 1
  await t.rejects(openWithPassphrase('funkpost-test', JSON.stringify({ ...f, nonce: nonce.toString('base64') }), 'correct horse'), { name: 'WrongPassphraseError' })
  const salts = new Set<string>()
  for (let i = 0; i < 3; i++) salts.add((await sealWithPassphrase('funkpost-test', plain, 'correct horse', FAST)).kdf.salt)
  t.equal(salts.size, 3, 'a fresh salt every time')
})

t.test('damaged and hostile files are DamagedFileError; a weak passphrase is refused', async t => {
  const f = await sealWithPassphrase('funkpost-test', plain, 'correct horse', FAST)
  const cases: Array<[string, string]> = [
    ['not json', '{nope'],
    ['another type', JSON.stringify({ ...f, type: 'funkpost-backup' })],
    ['a version from the future', JSON.stringify({ ...f, v: 2 })],
    ['N not a power of two', JSON.stringify({ ...f, kdf: { ...f.kdf, N: 1000 } })],
    ['N too large to allocate', JSON.stringify({ ...f, kdf: { ...f.kdf, N: 2 ** 30 } })],
    ['r out of range', JSON.stringify({ ...f, kdf: { ...f.kdf, r: 1000 } })],
    ['short nonce', JSON.stringify({ ...f, nonce: 'AAAA' })],
    ['not base64', JSON.stringify({ ...f, data: '!!!' })],
    ['truncated', JSON.stringify({ ...f, data: 'AAAA' })]
  ]
  for (const [what, text] of cases) await t.rejects(openWithPassphrase('funkpost-test', text, 'correct horse'), { name: 'DamagedFileError' }, what)
  await t.rejects(sealWithPassphrase('funkpost-test', plain, 'x'.repeat(MIN_PASSPHRASE - 1), FAST), { name: 'WeakPassphraseError' })
  t.ok(await sealWithPassphrase('funkpost-test', plain, 'ü'.repeat(MIN_PASSPHRASE), FAST), 'characters, not bytes, are counted')
})
