import t from 'tap'
import { readFileSync } from 'node:fs'
import { multiaddr } from '@multiformats/multiaddr'
import {
  InvalidOnionAddressError, decodeOnion3, isOnion3, onion3FromPublicKey, onion3Multiaddr,
  onionFromHostnameFile, parseOnion3Multiaddr
} from '../../transports/tor/onion.js'

interface Valid { name: string, publicKey: string, onion: string, port: number }
interface Invalid { name: string, kind: 'multiaddr' | 'hostname' | 'name', input: string, reason: string }
const vectors = JSON.parse(readFileSync(new URL('../vectors/onion.json', import.meta.url), 'utf8')) as {
  valid: Valid[]
  invalid: Invalid[]
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

t.test('valid vectors', async t => {
  t.ok(vectors.valid.length >= 5)
  for (const v of vectors.valid) {
    t.test(v.name, async t => {
      // the generator: the name is derived from the key (checksum computed here)
      t.equal(onion3FromPublicKey(Buffer.from(v.publicKey, 'hex')), v.onion)
      const d = decodeOnion3(v.onion)
      t.equal(hex(d.publicKey), v.publicKey)
      t.equal(d.version, 3)
      t.ok(isOnion3(`${v.onion}.onion`))
      t.ok(isOnion3(v.onion.toUpperCase()), 'case-insensitive')

      const ma = `/onion3/${v.onion}:${v.port}`
      t.same(parseOnion3Multiaddr(ma), { host: `${v.onion}.onion`, port: v.port })
      t.same(parseOnion3Multiaddr(multiaddr(ma)), { host: `${v.onion}.onion`, port: v.port })
      t.same(parseOnion3Multiaddr(`/onion3/${v.onion.toUpperCase()}:${v.port}`).host, `${v.onion}.onion`)
      t.same(parseOnion3Multiaddr(`${ma}/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA`).port, v.port)

      const built = onion3Multiaddr(`${v.onion}.onion`, v.port)
      t.equal(built.toString(), ma)
      t.equal(onion3Multiaddr(v.onion.toUpperCase(), v.port).toString(), ma)
      // multiaddr 13 encodes it to the 39-byte binary form and back
      t.equal(multiaddr(built.bytes).toString(), ma)

      t.equal(onionFromHostnameFile(`${v.onion}.onion\n`), `${v.onion}.onion`)
    })
  }
})

t.test('invalid vectors', async t => {
  t.ok(vectors.invalid.length >= 10)
  const parsers = {
    multiaddr: parseOnion3Multiaddr,
    hostname: onionFromHostnameFile,
    name: decodeOnion3
  }
  for (const v of vectors.invalid) {
    let caught: unknown
    try {
      parsers[v.kind](v.input)
    } catch (err) {
      caught = err
    }
    t.type(caught, InvalidOnionAddressError, v.name)
    t.equal((caught as InvalidOnionAddressError).name, 'InvalidOnionAddressError', v.name)
    t.equal((caught as InvalidOnionAddressError).reason, v.reason, v.name)
  }
})

t.test('builder rejects bad input', async t => {
  const good = vectors.valid[0].onion
  t.throws(() => onion3Multiaddr(good, 0), { name: 'InvalidOnionAddressError', reason: 'port' })
  t.throws(() => onion3Multiaddr(good, 65536), { name: 'InvalidOnionAddressError', reason: 'port' })
  t.throws(() => onion3Multiaddr('example.onion', 80), { name: 'InvalidOnionAddressError', reason: 'length' })
  t.throws(() => onion3FromPublicKey(new Uint8Array(31)), { name: 'InvalidOnionAddressError' })
})

t.test('every single-character change of a valid name is rejected', async t => {
  // the 16-bit checksum catches all single substitutions in the key part;
  // a change in the checksum or version part must be caught too
  const name = vectors.valid[0].onion
  let rejected = 0
  for (let i = 0; i < name.length; i++) {
    const c = name[i] === 'a' ? 'b' : 'a'
    if (!isOnion3(name.slice(0, i) + c + name.slice(i + 1))) rejected++
  }
  t.equal(rejected, name.length)
})
