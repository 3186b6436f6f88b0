import t from 'tap'
import { signEnvelope, validateEnvelope, Kind } from '../../mesh/envelope.js'
import { identityFromSeed } from '../../node/identity.js'

t.test('sign then validate', async t => {
  const a = identityFromSeed(new Uint8Array(32).fill(1))
  const now = Date.now()
  const s = signEnvelope(a.seed, { kind: Kind.DIRECT, from: a.publicKey, to: a.publicKey, created: now, expires: now + 60000 })
  const r = validateEnvelope(s.bytes)
  t.equal(r.code, 'valid')
  t.equal(typeof Promise.withResolvers, 'function')
})
