/**
 * The `funkpost` command as real processes: three `funkpost start` daemons
 * (alice, bob, carol) in temporary homes on loopback, linked by --bootstrap,
 * driven by CLI commands whose --json output the tests assert on. Covers
 * send/inbox/outbox/status/peers, a recipient that starts only after the
 * mail was sent (custody on a relay), contacts/verify/key-change refusal,
 * block/unblock, invite/accept, and the daemon's lifecycle (one per home,
 * stale socket after SIGKILL, mode 0600, clean SIGTERM).
 */
import t from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {
  ensureBuilt, tempDir, cli, cliJson, waitFor, initHome, startNode,
  LOOPBACK, HEX64_RE, root, type TestNode
} from './cli-helpers.js'

ensureBuilt()

interface Peer { id: string, name: string, addrs: string[], connected: boolean }
interface InboxRow { id: string, from: string, text: string, at: string, status: string }
interface OutboxRow { id: string, to: string, status: string, attempts: number, priority: string }
interface Status { id: string, name: string, addrs: string[], peers: number, custody: { count: number, bytes: number }, outbox: { count: number }, online: boolean }
interface ContactRow { name: string, id: string, verified: boolean }

const top = t // daemons started in subtests must outlive them
const dir = tempDir(t, 'funkpost-cli-')
const [a, b, c] = await Promise.all([initHome(dir, 'alice'), initHome(dir, 'bob'), initHome(dir, 'carol')])
const alice = await startNode(t, a.home)
const bob = await startNode(t, b.home, ['--bootstrap', alice.addr])
let carol: TestNode | undefined

const inbox = async (n: { home: string }, extra: string[] = []): Promise<InboxRow[]> => cliJson(['inbox', '--home', n.home, ...extra])
const outbox = async (n: { home: string }): Promise<OutboxRow[]> => cliJson(['outbox', '--home', n.home])
const status = async (n: { home: string }): Promise<Status> => cliJson(['status', '--home', n.home])
const peers = async (n: { home: string }): Promise<Peer[]> => cliJson(['peers', '--home', n.home])
const contacts = async (n: { home: string }): Promise<ContactRow[]> => cliJson(['contacts', 'list', '--home', n.home])

t.test('send, inbox, outbox, status and peers over two daemons', async t => {
  const seen = await waitFor('alice to list bob as a connected, announced peer', async () => {
    const p = (await peers(alice)).find(x => x.id === bob.id)
    return p?.connected === true && p.name === 'bob' ? p : undefined
  })
  t.same(Object.keys(seen).sort(), ['addrs', 'connected', 'id', 'name'], 'peers --json rows have the contract fields')
  t.ok(seen.addrs.some(x => x.startsWith('/ip4/127.0.0.1/tcp/')), 'with bob\'s loopback address')

  const byId = await cli(['send', '--home', bob.home, alice.id, 'hello', 'alice'])
  t.equal(byId.code, 0, byId.stderr)
  const id1 = byId.stdout.trim()
  t.match(id1, HEX64_RE, 'send prints the envelope id')

  t.equal((await cliJson(['contacts', 'add', 'alice', alice.id, '--home', bob.home])).name, 'alice')
  const sent2 = await cliJson(['send', '--home', bob.home, 'alice', 'second one'])
  t.same(Object.keys(sent2), ['id'], 'send --json is {"id"}')
  t.match(sent2.id, HEX64_RE)

  const rows = await waitFor('both messages in alice\'s inbox', async () => {
    const r = await inbox(alice)
    return r.length >= 2 ? r : undefined
  })
  t.same(rows.map(r => r.text), ['hello alice', 'second one'], 'oldest first, text joined from the words')
  t.same(rows.map(r => r.id), [id1, sent2.id], 'ids are the ids send printed')
  for (const r of rows) {
    t.same(Object.keys(r).sort(), ['at', 'from', 'id', 'status', 'text'])
    t.equal(r.from, bob.id)
    t.equal(r.status, 'received')
    t.ok(Math.abs(Date.parse(r.at) - Date.now()) < 60_000, 'at is a current ISO time')
  }

  await waitFor('bob\'s outbox to empty (both ACKed)', async () => (await outbox(bob)).length === 0)
  const sb = await status(bob)
  for (const k of ['id', 'name', 'addrs', 'peers', 'custody', 'outbox']) t.ok(k in sb, `status has ${k}`)
  t.equal(sb.id, bob.id)
  t.equal(sb.name, 'bob')
  t.equal(sb.outbox.count, 0)
  t.equal(sb.peers, 1, 'bob is connected to alice only')
  t.same(Object.keys(sb.custody).sort(), ['bytes', 'count'])
  t.equal(sb.online, true)
  t.equal(sb.addrs[0], bob.addr)

  // Filters: --limit, --from (contact name and id), --since.
  await cliJson(['contacts', 'add', 'bob', bob.id, '--home', alice.home])
  t.same((await inbox(alice, ['--limit', '1'])).map(r => r.text), ['second one'], '--limit 1 keeps the last')
  t.equal((await inbox(alice, ['--from', 'bob'])).length, 2, '--from a contact name')
  t.equal((await inbox(alice, ['--from', alice.id])).length, 0, '--from another id')
  t.equal((await inbox(alice, ['--since', '1h'])).length, 2, '--since a duration')
  t.equal((await inbox(alice, ['--since', new Date(Date.now() + 3_600_000).toISOString()])).length, 0, '--since a later time')
  const text = await cli(['inbox', '--home', alice.home])
  t.match(text.stdout, /hello alice/, 'inbox without --json prints the messages')
})

t.test('a recipient that starts later gets mail held by a relay', async t => {
  const sent = await cliJson<{ id: string }>(['send', '--home', bob.home, c.id, 'for carol, later'])
  const ob = await outbox(bob)
  t.equal(ob.length, 1, 'the mail waits in bob\'s outbox')
  t.equal(ob[0].id, sent.id)
  t.equal(ob[0].to, c.id)
  t.equal(ob[0].priority, 'normal')
  const held = await waitFor('alice (the relay) to hold it in custody', async () => {
    const s = await status(alice) as Status & { store: { tombstones: number } }
    return s.custody.count >= 1 ? s : undefined
  })

  carol = await startNode(top, c.home, ['--bootstrap', alice.addr])
  const got = await waitFor('carol to receive it', async () => (await inbox(carol!)).find(r => r.id === sent.id))
  t.equal(got.text, 'for carol, later')
  t.equal(got.from, bob.id)
  await waitFor('bob\'s outbox to empty (carol\'s ACK came back through alice)', async () => (await outbox(bob)).length === 0)
  // The relay swaps the mail for a tombstone; it keeps the small ACK itself in custody for bob.
  const after = await waitFor('alice to drop custody of the mail on the ACK', async () => {
    const s = await status(alice) as Status & { store: { tombstones: number } }
    return s.store.tombstones > held.store.tombstones && s.custody.bytes < held.custody.bytes ? s : undefined
  })
  t.ok(after.custody.bytes < held.custody.bytes, `custody ${held.custody.bytes} → ${after.custody.bytes} bytes`)
})

t.test('contacts, verify and a refused key change', async t => {
  const home = alice.home
  t.same((await contacts(alice)).map(x => x.name), ['bob'])
  const added = await cliJson(['contacts', 'add', 'carol', c.id, '--home', home])
  t.same(added, { name: 'carol', id: c.id, verified: false, created: true })
  t.same((await contacts(alice)).map(x => x.name), ['bob', 'carol'])
  const rm = await cli(['contacts', 'rm', 'carol', '--home', home])
  t.equal(rm.code, 0, rm.stderr)
  t.match(rm.stdout, /removed carol/)
  t.same((await contacts(alice)).map(x => x.name), ['bob'], 'rm removes it')

  const va = await cliJson(['verify', 'bob', '--home', alice.home])
  const vb = await cliJson(['verify', 'alice', '--home', bob.home])
  t.match(va.safetyNumber, /^\d{5}( \d{5}){11}$/)
  t.equal(va.safetyNumber, vb.safetyNumber, 'both sides compute the same safety number')
  t.equal(va.words, vb.words)
  t.equal(va.verified, false)
  const text = await cli(['verify', 'bob', '--home', alice.home])
  t.ok(text.stdout.includes(va.safetyNumber), 'verify prints the number')
  t.match(text.stdout, /funkpost verify bob --confirm/)
  const confirmed = await cliJson(['verify', 'bob', '--confirm', '--home', alice.home])
  t.equal(confirmed.verified, true)
  t.same(await contacts(alice), [{ name: 'bob', id: bob.id, verified: true }], 'contacts list shows bob verified')
  t.same((await contacts(bob)).find(x => x.name === 'alice')?.verified, false, 'only on alice\'s side')

  const changed = await cli(['contacts', 'add', 'bob', c.id, '--home', home])
  t.equal(changed.code, 1)
  t.match(changed.stderr, /^funkpost: WARNING: "bob" is saved with a different key/)
  t.equal(changed.stderr.trim().split('\n').length, 1, 'one line')
  t.equal(changed.stdout, '')
  t.same(await contacts(alice), [{ name: 'bob', id: bob.id, verified: true }], 'the old contact is unchanged')

  const dup = await cli(['contacts', 'add', 'bobby', bob.id, '--home', home])
  t.equal(dup.code, 1)
  t.match(dup.stderr, /already saved as "bob"/, 'one id, one name')
})

t.test('block drops a sender\'s new mail; unblock lets later mail through', async t => {
  const bl = await cliJson(['block', 'bob', '--home', alice.home])
  t.same(bl, { blocked: bob.id, name: 'bob' })
  const before = (await status(alice) as unknown as { gossip: { ignored: Record<string, number> } }).gossip.ignored.blocked ?? 0
  const blocked = await cliJson<{ id: string }>(['send', '--home', bob.home, 'alice', 'while blocked'])
  // Proof it reached alice and was dropped there: her gossip validator counts a blocked author.
  await waitFor('alice to drop bob\'s envelope as blocked', async () =>
    ((await status(alice) as unknown as { gossip: { ignored: Record<string, number> } }).gossip.ignored.blocked ?? 0) > before)
  for (let i = 0; i < 3; i++) {
    t.notOk((await inbox(alice)).some(r => r.id === blocked.id), `not in the inbox (look ${i + 1})`)
    await new Promise(resolve => setTimeout(resolve, 400))
  }

  t.same(await cliJson(['unblock', bob.id, '--home', alice.home]), { unblocked: bob.id, name: 'bob' })
  const later = await cliJson<{ id: string }>(['send', '--home', bob.home, 'alice', 'after unblock'])
  await waitFor('mail sent after unblock to arrive', async () => (await inbox(alice)).some(r => r.id === later.id))
  await new Promise(resolve => setTimeout(resolve, 1500))
  t.notOk((await inbox(alice)).some(r => r.id === blocked.id), 'mail sent during the block stays out after unblock')
})

t.test('invite, then invite accept on another node adds the contact and connects', async t => {
  if (carol === undefined) throw new Error('carol did not start')
  const inv = await cliJson(['invite', '--home', carol.home])
  t.match(inv.link, /^funkpost:\/\/invite\?v=1&id=12D3KooW/)
  t.equal(inv.id, carol.id)
  t.equal(inv.name, 'carol')
  t.ok(inv.addrs.includes(carol.addr), 'the invite carries carol\'s address')
  const shown = await cli(['invite', '--home', carol.home])
  t.equal(shown.stdout.split('\n')[0], inv.link, 'text mode prints the link first')
  t.match(shown.stdout, /[▄▀█]{10}/, 'then a QR code')

  t.notOk((await peers(bob)).some(p => p.id === carol!.id && p.connected), 'bob is not connected to carol before')
  const acc = await cliJson(['invite', 'accept', inv.link, '--home', bob.home])
  t.same(acc.contact, { name: 'carol', id: carol.id, verified: false })
  t.equal(acc.created, true)
  t.same(acc.dialled, [carol.addr], 'it dialled the address from the link')
  t.ok((await contacts(bob)).some(x => x.name === 'carol' && x.id === carol!.id), 'carol is a contact of bob')
  await waitFor('bob to list carol as connected', async () => (await peers(bob)).some(p => p.id === carol!.id && p.connected))
  t.pass('connected')
})

t.test('one daemon per home; SIGKILL leaves a stale socket the next start replaces; SIGTERM stops cleanly', async t => {
  const d = await initHome(dir, 'dave')
  const sock = path.join(d.home, 'funkpost.sock')
  const first = await startNode(t, d.home)
  t.equal(fs.statSync(sock).mode & 0o777, 0o600, 'socket mode 0600')

  const second = await cli(['start', '--home', d.home, ...LOOPBACK])
  t.equal(second.code, 1)
  t.match(second.stderr, /^funkpost: a funkpost node is already running for .*dave; stop it first/)
  t.equal(second.stderr.trim().split('\n').length, 1, 'one line')
  t.equal((await status(first)).online, true, 'the first daemon still answers')

  const killed = await first.proc.stop('SIGKILL')
  t.equal(killed.signal, 'SIGKILL')
  t.ok(fs.existsSync(sock), 'a SIGKILLed daemon leaves its socket file behind')
  const offline = await status(first)
  t.equal(offline.online, false, 'commands see no daemon behind the stale socket')
  t.equal(offline.id, d.id)

  const again = await startNode(t, d.home)
  t.equal(again.id, d.id, 'start again on the same home works')
  t.equal((await status(again)).online, true)
  t.equal(fs.statSync(sock).mode & 0o777, 0o600)

  const stopped = await again.proc.stop('SIGTERM')
  t.same(stopped, { code: 0, signal: null }, 'SIGTERM: exit 0')
  t.match(again.proc.stdout, /SIGTERM: stopping/)
  t.notOk(fs.existsSync(sock), 'socket removed')
  t.equal(again.proc.stderr, '', 'nothing on stderr')
})

t.test('--help lists every command; --version works from any folder', async t => {
  const help = await cli(['--help'])
  t.equal(help.code, 0)
  for (const cmd of ['init', 'id', 'start', 'status', 'peers', 'send <to> <text..>', 'inbox', 'outbox [action]', 'contacts [action] [name] [id]',
    'verify <name>', 'block <target>', 'unblock <target>', 'invite [action] [link]', 'chat [contact]']) {
    t.match(help.stdout, `funkpost ${cmd} `, cmd)
  }
  t.match(help.stdout, /--home .*FUNKPOST_HOME/)
  t.match(help.stdout, /--json/)
  const version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version
  const v = await cli(['--version'], { cwd: os.tmpdir() })
  t.equal(v.stdout.trim(), version, 'the version is in the bundle, not looked up beside it')
})
