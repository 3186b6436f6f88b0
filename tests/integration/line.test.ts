import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { startNode, link, waitFor, meshReady, stopAll } from './helpers.js'
import type { HistoryEntry } from '../../store-forward/history.js'

t.test('A–B–C line on loopback TCP: C reads A\'s message exactly once; B holds only ciphertext', async t => {
  const [a, b, c] = [await startNode({ name: 'a' }), await startNode({ name: 'b' }), await startNode({ name: 'c' })]
  t.teardown(() => stopAll([a, b, c]))
  await link(a, b)
  await link(b, c)
  await meshReady([a, b, c])
  t.equal(a.libp2p.getConnections(c.libp2p.peerId).length, 0, 'A is not connected to C')

  const got: HistoryEntry[] = []
  c.on('message', e => got.push(e))
  const secret = 'meet at the water tower ' + Math.random().toString(36).slice(2)
  const id = await a.send(c.id, secret)
  await waitFor('C receives', () => got.length > 0)
  await waitFor('A sees delivered', () => a.history.get(id)?.status === 'delivered')
  await new Promise(resolve => setTimeout(resolve, 500))
  t.equal(got.length, 1, 'exactly once')
  t.equal(got[0].text, secret)
  t.equal(got[0].from, a.mailroom.me)
  t.equal(a.outbox.size, 0, 'outbox cleared on ACK')
  // B: no plaintext anywhere in its store or memory-held history
  t.equal(b.history.size, 0)
  await waitFor('B drops custody on the ACK', () => !b.envelopes.has(id) && b.envelopes.isTombstoned(id))
  t.pass('B dropped custody of the delivered envelope and keeps a tombstone')
  await b.stop()
  const dir = path.join(b.init.home, 'db')
  const blob = fs.readdirSync(dir).map(f => fs.readFileSync(path.join(dir, f))).reduce((x, y) => Buffer.concat([x, y]), Buffer.alloc(0))
  t.equal(blob.includes(Buffer.from(secret)), false, 'B\'s LevelDB files hold no plaintext')
})
