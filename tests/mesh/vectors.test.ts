/**
 * Golden vectors: every committed vector decodes and validates as recorded,
 * with both Ed25519 implementations, and the generator still reproduces the
 * committed file byte for byte. FUNKPOST_WRITE_VECTORS=1 rewrites the file.
 */
import t from 'tap'
import fs from 'node:fs'
import crypto from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { validateEnvelope, Envelope, Body, fromHex, toHex } from '../../mesh/envelope.js'
import { nobleEd25519, nativeEd25519 } from '../../mesh/ed25519.js'
import { nobleX25519, nativeX25519, edSeedToX, edPublicToX } from '../../mesh/x25519.js'
import { open } from '../../mesh/seal.js'
import { decodeContent } from '../../mesh/content.js'
import { idFromPublicKey } from '../../mesh/ids.js'
import { generateVectors, serializeVectors, type VectorFile } from '../vectors/generate.js'

const file = fileURLToPath(new URL('../vectors/envelope.json', import.meta.url))

if (process.env.FUNKPOST_WRITE_VECTORS === '1') {
  fs.writeFileSync(file, serializeVectors(generateVectors()))
  t.comment(`wrote ${file}`)
}

const text = fs.readFileSync(file, 'utf8')
const vectors = JSON.parse(text) as VectorFile
const signers = [nobleEd25519, nativeEd25519]

t.test('the generator reproduces the committed file byte for byte', async t => {
  t.ok(serializeVectors(generateVectors()) === text, 'tests/vectors/envelope.json is what generate.ts makes (FUNKPOST_WRITE_VECTORS=1 rewrites it)')
})

t.test('keys: seed -> public key -> id', async t => {
  for (const k of vectors.keys) {
    for (const s of signers) t.equal(toHex(s.publicKey(fromHex(k.seed))), k.publicKey, `${k.name} ${s.name}`)
    t.equal(idFromPublicKey(fromHex(k.publicKey)), k.id)
    t.match(k.id, /^12D3KooW/)
  }
})

t.test('valid vectors', async t => {
  t.ok(vectors.valid.length >= 8)
  const ids = new Set<string>()
  for (const v of vectors.valid) {
    const bytes = fromHex(v.hex)
    for (const signer of signers) {
      const r = validateEnvelope(bytes, { now: vectors.now, signer })
      if (r.code !== 'valid') {
        t.fail(`${v.name} (${signer.name}): ${r.reason}`)
        continue
      }
      t.equal(toHex(r.id), v.id, `${v.name}: id`)
      t.equal(r.envelope.hops, v.hops, `${v.name}: hops`)
      t.equal(toHex(r.envelope.sig), v.sig, `${v.name}: sig`)
      const b = r.body
      t.same({
        v: b.v, kind: b.kind, from: toHex(b.from), to: toHex(b.to), created: b.created, expires: b.expires,
        priority: b.priority, ref: toHex(b.ref), payload: toHex(b.payload)
      }, v.body, `${v.name}: body fields`)
    }
    // id = sha256(body bytes as received), computed independently
    const env = Envelope.decode(bytes)
    t.equal(crypto.createHash('sha256').update(env.body).digest('hex'), v.id, `${v.name}: id is sha256(body)`)
    // Envelope encoding is canonical: re-encoding the decoded envelope gives the same bytes
    t.equal(toHex(Envelope.encode(env)), v.hex, `${v.name}: canonical`)
    ids.add(`${v.id}/${v.hops}`)
  }
  t.equal(ids.size, vectors.valid.length, 'no duplicate vectors')
  const hops = vectors.valid.filter(v => v.name.startsWith('direct-sealed'))
  t.equal(hops.length, 2)
  t.equal(hops[0].id, hops[1].id, 'hops is outside the id')
  t.not(hops[0].hops, hops[1].hops)
  const unknown = vectors.valid.find(v => v.name === 'unknown-body-field')
  t.ok(unknown !== undefined)
  const env = Envelope.decode(fromHex(unknown!.hex))
  t.not(toHex(Body.encode(Body.decode(env.body))), toHex(env.body), 'the unknown field is kept in the signed bytes, not re-encoded away')
})

t.test('invalid vectors', async t => {
  const reasons = new Set(vectors.invalid.map(v => v.reason))
  for (const r of ['oversize', 'malformed', 'version', 'kind', 'field-length', 'expired', 'future', 'lifetime', 'signature']) {
    t.ok(reasons.has(r as never), `at least one vector for ${r}`)
  }
  t.ok(vectors.invalid.some(v => v.name === 'field-length-ack-without-ref'))
  for (const v of vectors.invalid) {
    const bytes = fromHex(v.hex)
    for (const signer of signers) {
      t.same(validateEnvelope(bytes, { now: vectors.now, signer }), { code: 'invalid', reason: v.reason }, `${v.name} (${signer.name})`)
    }
  }
  const over = vectors.invalid.find(v => v.reason === 'oversize')!
  t.equal(over.hex.length / 2, 65537)
  // the oversize vector is otherwise valid: a bigger limit accepts it
  t.equal(validateEnvelope(fromHex(over.hex), { now: vectors.now, maxBytes: 65537 }).code, 'valid')
})

t.test('sealed vectors open with the recipient key, with both X25519 implementations', async t => {
  t.ok(vectors.sealed.length >= 1)
  for (const v of vectors.sealed) {
    const seed = fromHex(v.recipientSeed)
    const header = { from: fromHex(v.header.from), to: fromHex(v.header.to), created: v.header.created, expires: v.header.expires }
    t.equal(toHex(nativeEd25519.publicKey(seed)), v.header.to, `${v.name}: addressed to the recipient`)
    for (const impl of [nativeX25519, nobleX25519]) {
      const plain = open(fromHex(v.sealed), header, edSeedToX(seed), edPublicToX(header.to), impl)
      t.equal(toHex(plain), v.plaintext, `${v.name} (${impl.name})`)
      const c = decodeContent(plain)
      t.same({ type: c.type, text: c.text, nonce: toHex(c.nonce) }, v.content)
    }
    t.throws(() => open(fromHex(v.sealed), header, edSeedToX(fromHex(vectors.keys[2].seed)), edPublicToX(fromHex(vectors.keys[2].publicKey))),
      { name: 'OpenFailedError' }, `${v.name}: another key cannot open`)
  }
  // the DIRECT vector carries the first sealed box as its payload
  const direct = vectors.valid.find(v => v.name === 'direct-sealed')!
  t.equal(direct.body.payload, vectors.sealed[0].sealed)
})
