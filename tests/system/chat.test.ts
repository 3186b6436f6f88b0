/**
 * `funkpost chat` driven through pipes (stdout is not a TTY, so it prints
 * plain lines): users on `funkpost start` daemons and a user whose chat
 * starts an embedded node exchange messages; each transcript shows the
 * sender's name, the text and, for one's own messages, the delivery state
 * (… queued, ✓ sent to a relay, ✓✓ delivered).
 */
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import {
  ensureBuilt, tempDir, cli, cliJson, initHome, startNode, spawnCli, LOOPBACK, type Proc
} from './cli-helpers.js'

ensureBuilt()

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
const TIME = '\\[\\d\\d:\\d\\d\\]'
/** A transcript line of message text: "#N [HH:MM] WHO: TEXT" or, for a reply, "WHO ↪#M: TEXT" (and the rest of the line). */
const said = (who: string, text: string, tail = ''): RegExp => new RegExp(`^ *#(\\d+) ${TIME} ${esc(who)}(?: ↪#\\d+)?: ${esc(text)}${tail}`, 'm')

const top = t
const dir = tempDir(t, 'funkpost-chat-')
const [a, b, d] = await Promise.all([initHome(dir, 'alice'), initHome(dir, 'bob'), initHome(dir, 'dave')])
// Contacts saved while no node runs (the CLI opens the store offline).
await Promise.all([
  cliJson(['contacts', 'add', 'bob', b.id, '--home', a.home]),
  cliJson(['contacts', 'add', 'alice', a.id, '--home', b.home])
])
const alice = await startNode(t, a.home)
const bob = await startNode(t, b.home, ['--bootstrap', alice.addr])

async function openChat (home: string, label: string, args: string[] = []): Promise<Proc> {
  const p = spawnCli(top, ['chat', '--home', home, ...args], label)
  await p.waitOut(/^funkpost chat — you are 12D3KooW\w+/m, 20_000)
  return p
}

let aliceChat: Proc

t.test('two users on daemons: messages both ways with ✓✓, and the slash commands', async t => {
  aliceChat = await openChat(alice.home, 'alice chat', ['bob'])
  const bobChat = await openChat(bob.home, 'bob chat', ['alice'])
  t.match(aliceChat.stdout, /— talking to bob/)
  t.notMatch(aliceChat.stdout, /started a node/, 'a daemon runs, so chat embeds none')

  aliceChat.write('hi bob, it is alice')
  t.ok(await aliceChat.waitOut(said('me', 'hi bob, it is alice', ' …$')), 'alice sees her line queued (…)')
  t.ok(await aliceChat.waitOut(said('me', 'hi bob, it is alice', ' ✓✓$')), 'then delivered (✓✓)')
  t.ok(await bobChat.waitOut(said('alice', 'hi bob, it is alice', '$')), 'bob sees it with alice\'s name')

  bobChat.write('hello alice, bob here')
  t.ok(await bobChat.waitOut(said('me', 'hello alice, bob here', ' ✓✓$')), 'bob\'s reply is delivered')
  t.ok(await aliceChat.waitOut(said('bob', 'hello alice, bob here', '$')), 'alice sees bob\'s reply')

  let from = bobChat.stdout.length
  bobChat.write('/peers')
  t.ok(await bobChat.waitOut(new RegExp(`^ +● ${alice.id} alice$`, 'm'), 15_000, from), '/peers lists alice as connected')
  from = bobChat.stdout.length
  bobChat.write('/outbox')
  t.ok(await bobChat.waitOut(/^ +outbox is empty$/m, 15_000, from), '/outbox')
  from = bobChat.stdout.length
  bobChat.write('/help')
  t.ok(await bobChat.waitOut(/\/msg NAME TEXT[\s\S]*\/quit/, 15_000, from), '/help lists the commands')
  from = bobChat.stdout.length
  bobChat.write('/bogus')
  t.ok(await bobChat.waitOut(/^! unknown command \/bogus; \/help lists them$/m, 15_000, from), 'an unknown command is one line, and chat goes on')
  from = bobChat.stdout.length
  bobChat.write('/reply 99 nothing there')
  t.ok(await bobChat.waitOut(/^! no message #99$/m, 15_000, from))

  bobChat.write('/quit')
  t.same(await bobChat.waitExit(), { code: 0, signal: null }, '/quit exits 0')
  t.equal((await cliJson(['status', '--home', bob.home])).online, true, 'bob\'s daemon keeps running after /quit')
})

t.test('mail to someone away shows ✓ (a relay has it), then ✓✓ when they start', async t => {
  const from = aliceChat.stdout.length
  aliceChat.write(`/msg ${d.id} hello dave`)
  t.ok(await aliceChat.waitOut(said('me', 'hello dave', ' ✓$'), 15_000, from), '✓: sent to a relay (bob), not delivered')
  t.notMatch(aliceChat.stdout.slice(from), said('me', 'hello dave', ' ✓✓'), 'not delivered yet')
  const dave = await startNode(t, d.home, ['--bootstrap', alice.addr])
  t.ok(await aliceChat.waitOut(said('me', 'hello dave', ' ✓✓$'), 20_000, from), '✓✓ once dave is up')
  const inbox = await cliJson(['inbox', '--home', dave.home])
  t.same(inbox.map((m: { text: string }) => m.text), ['hello dave'])
})

t.test('a chat with no daemon starts an embedded node, talks, and stops it on /quit', async t => {
  const home = path.join(dir, 'carol') // never initialised: chat creates the id
  const carolChat = spawnCli(t, ['chat', '--home', home, ...LOOPBACK, '--bootstrap', alice.addr, '--name', 'carol'], 'carol chat')
  const started = await carolChat.waitOut(/^started a node on .*carol \(id (12D3KooW\w+)\)$/m, 20_000)
  const carolId = started[1]
  await carolChat.waitOut(new RegExp(`^funkpost chat — you are ${carolId} \\(carol\\)`, 'm'))
  t.equal(fs.statSync(path.join(home, 'funkpost.sock')).mode & 0o777, 0o600, 'the embedded node serves the control socket')
  // Other commands reach the embedded node through its socket.
  const st = await cliJson(['status', '--home', home])
  t.equal(st.online, true)
  t.equal(st.name, 'carol', '--name names the embedded node')
  await cliJson(['contacts', 'add', 'alice', alice.id, '--home', home])
  await cliJson(['contacts', 'add', 'carol', carolId, '--home', alice.home])

  const from = aliceChat.stdout.length
  aliceChat.write(`/msg carol hi carol, from alice`)
  const got = await carolChat.waitOut(said('alice', 'hi carol, from alice', '$'))
  t.ok(got, 'carol sees alice\'s message with her name')
  t.ok(await aliceChat.waitOut(said('me', 'hi carol, from alice', ' ✓✓$'), 15_000, from), 'delivered to the embedded node')

  carolChat.write(`/reply ${got[1]} hi alice, carol here`)
  t.ok(await carolChat.waitOut(new RegExp(`#\\d+ ${TIME} me ↪#${got[1]}: hi alice, carol here ✓✓$`, 'm')), 'carol\'s reply quotes the message and is delivered')
  t.ok(await aliceChat.waitOut(new RegExp(`#\\d+ ${TIME} carol ↪#\\d+: hi alice, carol here$`, 'm'), 15_000, from), 'alice sees carol\'s reply, marked as one')

  carolChat.write('/quit')
  t.same(await carolChat.waitExit(), { code: 0, signal: null }, '/quit exits 0')
  t.notOk(fs.existsSync(path.join(home, 'funkpost.sock')), 'the embedded node stopped and removed its socket')
  const after = await cli(['status', '--json', '--home', home])
  t.equal(JSON.parse(after.stdout).online, false, 'no node runs for carol\'s home now')
  t.equal(carolChat.stderr, '', 'nothing on stderr')
})

t.test('alice leaves', async t => {
  aliceChat.write('/quit')
  t.same(await aliceChat.waitExit(), { code: 0, signal: null })
  t.equal(aliceChat.stderr, '')
})
