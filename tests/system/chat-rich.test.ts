/**
 * Rich messaging through `funkpost chat` over pipes (real processes, each
 * chat with its own embedded node on loopback): a reply, a reaction, an
 * edit, a delete and read markers show in the other side's transcript; a
 * disappearing message (/timer 3s) is gone from both stores after its
 * lifetime (FUNKPOST_SWEEP_MS=500 shortens the node's sweep); and
 * `chat #name` opens a public channel between the two users.
 */
import t from 'tap'
import crypto from 'node:crypto'
import { ensureBuilt, tempDir, cliJson, initHome, spawnCli, waitFor, LOOPBACK, type Proc } from './cli-helpers.js'
import { ControlClient } from '../../node/control.js'

ensureBuilt()

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
const TIME = '\\[\\d\\d:\\d\\d\\]'
/** "#N [HH:MM] WHERE WHO (↪#M)?: TEXT" + tail; group 1 is N. */
const said = (who: string, text: string, tail = '', where = ''): RegExp =>
  new RegExp(`^ *#(\\d+) ${TIME} ${esc(where)}${esc(who)}(?: ↪#\\d+)?: ${esc(text)}${tail}`, 'm')

const ENV = { FUNKPOST_SWEEP_MS: '500' }
const dir = tempDir(t, 'funkpost-rich-')
const [a, b] = await Promise.all([initHome(dir, 'alice'), initHome(dir, 'bob')])
await Promise.all([
  cliJson(['contacts', 'add', 'bob', b.id, '--home', a.home]),
  cliJson(['contacts', 'add', 'alice', a.id, '--home', b.home])
])

/**
 * Alice's chat first, then Bob's bootstrapping to it; resolves once Alice's
 * chat shows Bob joined (Bob's own chat may subscribe after its node has
 * connected, so it need not print the join). Both stop at t's teardown.
 */
async function pair (t: Parameters<typeof spawnCli>[0], target: { alice: string, bob: string }): Promise<[Proc, Proc]> {
  const ac = spawnCli(t, ['--home', a.home, 'chat', target.alice, ...LOOPBACK], 'alice chat', ENV)
  await ac.waitOut(/^funkpost chat — you are /m, 20_000)
  const addr = (await cliJson<{ addrs: string[] }>(['status', '--home', a.home])).addrs[0]
  const bc = spawnCli(t, ['--home', b.home, 'chat', target.bob, ...LOOPBACK, '--bootstrap', addr], 'bob chat', ENV)
  await bc.waitOut(/^funkpost chat — you are /m, 20_000)
  await ac.waitOut(new RegExp(`peer joined ${b.id}`))
  return [ac, bc]
}

async function history (home: string, peer: string): Promise<Array<{ id: string, text: string, deleteAt?: string }>> {
  const c = await ControlClient.connect(home)
  try { return await c.call('history', { with: peer, limit: 100 }) } finally { c.close() }
}

t.test('reply, reaction, edit, delete, read markers and a disappearing message, between two chats', async t => {
  const [alice, bob] = await pair(t, { alice: 'bob', bob: 'alice' })

  alice.write('hello bob')
  const a1 = (await alice.waitOut(said('me', 'hello bob', ' ✓✓')))[1]
  const b1 = (await bob.waitOut(said('alice', 'hello bob', '$')))[1]
  t.ok(await alice.waitOut(new RegExp(`^ *#${a1} ${TIME} me: hello bob ✓✓ read$`, 'm')), 'bob\'s chat marks it read; alice sees ✓✓ read')

  bob.write(`/reply ${b1} hi alice`)
  t.ok(await bob.waitOut(new RegExp(`^#\\d+ ${TIME} me ↪#${b1}: hi alice`, 'm')), 'bob\'s reply quotes #' + b1)
  t.ok(await alice.waitOut(new RegExp(`^#\\d+ ${TIME} bob ↪#${a1}: hi alice$`, 'm')), 'alice sees the reply quoting her message')

  bob.write(`/react ${b1} 👍`)
  t.ok(await alice.waitOut(new RegExp(`^ +#${a1} ${TIME} me: hello bob ✓✓ read  \\[👍 bob\\]$`, 'm')), 'alice sees bob\'s reaction on her message')

  alice.write(`/edit ${a1} hello bob, edited`)
  t.ok(await bob.waitOut(new RegExp(`^ +#${b1} ${TIME} alice: hello bob, edited \\(edited\\)`, 'm')), 'bob sees the edit')

  alice.write('oops, wrong chat')
  const a3 = (await alice.waitOut(said('me', 'oops, wrong chat', ' ✓✓')))[1]
  const b3 = (await bob.waitOut(said('alice', 'oops, wrong chat', '$')))[1]
  alice.write(`/delete ${a3}`)
  t.ok(await bob.waitOut(new RegExp(`^ +#${b3} ${TIME} alice: \\(deleted\\)$`, 'm')), 'bob sees it deleted')
  t.ok(await alice.waitOut(new RegExp(`^ +#${a3} ${TIME} me: \\(deleted\\)`, 'm')), 'alice\'s own copy is deleted too')

  // Someone else's message cannot be edited or deleted from chat.
  let from = bob.stdout.length
  bob.write(`/edit ${b1} not mine`)
  t.ok(await bob.waitOut(/^! you can only edit your own messages$/m, 10_000, from))

  // Disappearing: gone from both stores after 3 s.
  const tag = crypto.randomBytes(4).toString('hex')
  alice.write('/timer 3s')
  await alice.waitOut(/new messages disappear after 3s/)
  const sentAt = Date.now()
  alice.write(`vanish ${tag}`)
  await bob.waitOut(said('alice', `vanish ${tag}`, '$'))
  const ha = (await history(a.home, 'bob')).find(m => m.text === `vanish ${tag}`)
  const hb = (await history(b.home, 'alice')).find(m => m.text === `vanish ${tag}`)
  t.ok(ha?.deleteAt !== undefined && hb?.deleteAt !== undefined, 'both stores hold it, with a deletion time')
  await waitFor('the disappearing message to leave both stores', async () => {
    const [x, y] = [await history(a.home, 'bob'), await history(b.home, 'alice')]
    return !x.some(m => m.text === `vanish ${tag}`) && !y.some(m => m.text === `vanish ${tag}`)
  }, 10_000, 200)
  t.ok(Date.now() - sentAt >= 2500, `not before its lifetime (gone after ${Date.now() - sentAt} ms)`)
  const left = (await history(b.home, 'alice')).map(m => m.text)
  t.ok(left.includes('hello bob, edited') && left.includes('hi alice'), 'the other messages stay')

  from = bob.stdout.length
  bob.write('/quit')
  alice.write('/quit')
  t.same(await bob.waitExit(), { code: 0, signal: null })
  t.same(await alice.waitExit(), { code: 0, signal: null })
  t.equal(alice.stderr + bob.stderr, '', 'nothing on stderr')
})

t.test('`chat #name`: a public channel between two users', async t => {
  const [alice, bob] = await pair(t, { alice: '#rich-x', bob: '#rich-x' })
  t.match(alice.stdout, /^ +joined #rich-x$/m, 'chat #name joins the channel')
  t.ok(await bob.waitOut(/^— in #rich-x/m), 'bob\'s chat opens the channel')

  alice.write('hello channel')
  const a1 = (await alice.waitOut(said('me', 'hello channel', ' ✓$', '#rich-x ')))[1]
  const b1 = (await bob.waitOut(said('alice', 'hello channel', '$', '#rich-x ')))[1]
  bob.write('plain line from bob')
  t.ok(await alice.waitOut(said('bob', 'plain line from bob', '$', '#rich-x ')), 'a plain line goes to the open channel')
  bob.write(`/reply ${b1} reply in the channel`)
  t.ok(await alice.waitOut(new RegExp(`^#\\d+ ${TIME} #rich-x bob ↪#${a1}: reply in the channel$`, 'm')), 'a reply quotes the post')
  bob.write(`/react ${b1} 🎉`)
  t.ok(await alice.waitOut(new RegExp(`^ +#${a1} ${TIME} #rich-x me: hello channel ✓  \\[🎉 bob\\]$`, 'm')), 'a reaction shows on the post')
  alice.write(`/edit ${a1} hello channel (fixed)`)
  const edited = new RegExp(`^ +#${b1} ${TIME} #rich-x alice: hello channel \\(fixed\\) \\(edited\\)  \\[🎉 me\\]$`, 'm')
  t.ok(await bob.waitOut(edited), 'an edit shows on the other side (with bob\'s own reaction as "me")')
  await new Promise(resolve => setTimeout(resolve, 500))
  t.equal(bob.stdout.match(new RegExp(edited.source, 'gm'))?.length, 1, 'one update line per change')

  const rows = await cliJson<Array<{ id: string, from: string, text: string, at: string }>>(['channel', 'read', '#rich-x', '--home', b.home])
  t.same(rows.map(r => r.text), ['hello channel (fixed)', 'plain line from bob', 'reply in the channel'], '`channel read --json` lists the posts')
  t.same(Object.keys(rows[0]).sort(), ['at', 'from', 'id', 'text'])
  t.equal(rows[0].from, a.id)

  alice.write('/channels')
  t.ok(await alice.waitOut(/^ +#rich-x \(public\)$/m))
  bob.write('/quit')
  alice.write('/quit')
  t.same(await bob.waitExit(), { code: 0, signal: null })
  t.same(await alice.waitExit(), { code: 0, signal: null })
})
