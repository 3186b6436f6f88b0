/**
 * Operator commands against real daemons: `held` breaks custody down by
 * recipient and author with ACKs apart, `status` says in text what --json
 * says, and `completion` prints a shell script and completes commands.
 */
import t from 'tap'
import { ensureBuilt, tempDir, cli, cliJson, waitFor, initHome, startNode } from './cli-helpers.js'
import { identityFromSeed } from '../../node/identity.js'

ensureBuilt()

interface Held {
  mail: { count: number, bytes: number }
  acks: { count: number, bytes: number }
  channels: { count: number, bytes: number }
  byPriority: { critical: number, normal: number, low: number }
  byRecipient: Array<{ id: string, name: string, count: number, bytes: number }>
  byAuthor: Array<{ id: string, name: string, count: number, bytes: number }>
  tombstones: number
}

t.test('held: mail for an absent recipient by recipient and author; the ACK of a delivered one apart', async t => {
  const dir = tempDir(t)
  const [r, s, d] = await Promise.all([initHome(dir, 'relay'), initHome(dir, 'sender'), initHome(dir, 'dest')])
  const relay = await startNode(t, r.home)
  const sender = await startNode(t, s.home, ['--bootstrap', relay.addr])
  const dest = await startNode(t, d.home, ['--bootstrap', relay.addr])
  const away = identityFromSeed(new Uint8Array(32).fill(7))
  await cliJson(['contacts', 'add', 'away', away.id, '--home', relay.home])
  await cliJson(['contacts', 'add', 'sender', sender.id, '--home', relay.home])
  await waitFor('the relay sees both', async () => (await cliJson<{ peers: number }>(['status', '--home', relay.home])).peers >= 2 || undefined)
  for (let i = 0; i < 3; i++) await cliJson(['send', away.id, `for later ${i}`, '--home', sender.home])
  await cliJson(['send', dest.id, 'delivered now', '--home', sender.home])
  const held = await waitFor('the relay holds the three and an ACK', async () => {
    const h = await cliJson<Held>(['held', '--home', relay.home])
    return h.mail.count === 3 && h.acks.count >= 1 ? h : undefined
  }, 30_000)
  t.equal(held.byRecipient.length, 1, 'one recipient')
  t.same([held.byRecipient[0].id, held.byRecipient[0].name, held.byRecipient[0].count], [away.id, 'away', 3], 'named by the contact name')
  t.same([held.byAuthor[0].id, held.byAuthor[0].name, held.byAuthor[0].count], [sender.id, 'sender', 3])
  t.ok(held.acks.count >= 1, 'the delivered message left an ACK, counted apart from mail')
  t.ok(held.byPriority.critical >= 1 && held.byPriority.normal >= 3, 'by priority: the ACK is critical, the mail normal')
  const text = await cli(['held', '--home', relay.home])
  t.match(text.stdout, /^mail: +3 envelopes, .*\nACKs: +\d+ .*\n.*\n.*\n.*\nfor recipients:\n {2}away +3 /m)
})

t.test('status: the text shows what --json shows', async t => {
  const dir = tempDir(t)
  const a = await initHome(dir, 'statusy')
  const n = await startNode(t, a.home)
  const s = await cliJson<Record<string, unknown>>(['status', '--home', n.home])
  t.same(Object.keys(s).sort(), ['addrs', 'custody', 'duplicate', 'gossip', 'id', 'name', 'online', 'outbox', 'peers', 'profile', 'received', 'store', 'sync'].filter(k => k in s).sort())
  const text = (await cli(['status', '--home', n.home])).stdout
  for (const label of ['id', 'state', 'profile', 'peers', 'custody', 'outbox', 'store', 'received', 'gossip', 'sync', 'address']) {
    t.match(text, new RegExp(`^${label}: `, 'm'), `text has "${label}:"`)
  }
  t.match(text, /^state: +running$/m)
})

t.test('completion: a script, and commands completed', async t => {
  const script = await cli(['completion'])
  t.equal(script.code, 0)
  t.match(script.stdout, /funkpost --get-yargs-completions/)
  const words = (await cli(['--get-yargs-completions', 'config', ''])).stdout.split('\n')
  t.ok(['show', 'get', 'set', 'unset', 'docs'].every(w => words.includes(w)), 'config actions are completed')
  const top = (await cli(['--get-yargs-completions', ''])).stdout.split('\n')
  t.ok(['start', 'stop', 'status', 'held', 'chat', 'config', 'identity'].every(w => top.includes(w)), 'commands are completed')
})
