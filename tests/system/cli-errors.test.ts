/**
 * Every wrong input to `funkpost` exits non-zero with one clear line on
 * stderr saying what to do: exit 2 for a command line that does not parse
 * (unknown flag or command, missing or empty argument, a value outside the
 * choices), 1 for everything else. Real processes against temporary homes;
 * no daemon runs in this file, so `start` cases must fail before listening.
 */
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { ensureBuilt, tempDir, cli, initHome, type Run } from './cli-helpers.js'

ensureBuilt()

const dir = tempDir(t, 'funkpost-err-')
const [ready, other] = await Promise.all([initHome(dir, 'ready'), initHome(dir, 'other')])
const corrupt = await initHome(dir, 'corrupt')
fs.writeFileSync(path.join(corrupt.home, 'config.json'), '{"name": "corrupt",')
const noinit = path.join(dir, 'never-initialised')
const ID = other.id

interface Case {
  name: string
  args: string[]
  code: 1 | 2
  message: RegExp
  env?: Record<string, string>
  json?: boolean
}

const cases: Case[] = [
  { name: 'unknown contact on send', args: ['send', 'nobody', 'hi', '--home', ready.home], code: 1, message: /^funkpost: "nobody" is neither a contact nor an id; add it with `funkpost contacts add NAME ID`/ },
  { name: 'malformed id on contacts add', args: ['contacts', 'add', 'bob', '12D3KooWnotAnId', '--home', ready.home], code: 1, message: /^funkpost: "12D3KooWnotAnId" is not a funkpost id \(expected a PeerId like 12D3KooW…\)$/ },
  { name: 'unusable contact name', args: ['contacts', 'add', 'bad name', ID, '--home', ready.home], code: 1, message: /^funkpost: "bad name" is not a usable contact name: 1–32 letters/ },
  { name: 'contacts add with NAME and ID swapped', args: ['contacts', 'add', ID, 'bob', '--home', ready.home], code: 1, message: /^funkpost: "12D3KooW\w+" looks like an id; pick a nickname \(the order is: funkpost contacts add NAME ID\)$/ },
  { name: 'contacts add without an id', args: ['contacts', 'add', 'bob', '--home', ready.home], code: 2, message: /^funkpost: usage: funkpost contacts add NAME ID$/ },
  { name: 'rm of an unknown contact', args: ['contacts', 'rm', 'nobody', '--home', ready.home], code: 1, message: /^funkpost: no contact named "nobody" \(see `funkpost contacts list`\)$/ },
  { name: 'verify of an unknown contact', args: ['verify', 'nobody', '--home', ready.home], code: 1, message: /^funkpost: "nobody" is neither a contact nor an id/ },
  { name: 'malformed invite link', args: ['invite', 'accept', 'https://example.org/x', '--home', ready.home], code: 1, message: /^funkpost: not a funkpost invite link \(it must start with funkpost:\/\/invite\?\)$/ },
  { name: 'invite link with a bad id', args: ['invite', 'accept', 'funkpost://invite?v=1&id=12D3KooWbroken&name=x', '--home', ready.home], code: 1, message: /^funkpost: invite link has no valid id$/ },
  { name: 'invite link with a bad address', args: ['invite', 'accept', `funkpost://invite?v=1&id=${ID}&name=x&addr=garbage`, '--home', ready.home], code: 1, message: /^funkpost: invite link has a malformed address: garbage$/ },
  { name: 'invite link of another version', args: ['invite', 'accept', `funkpost://invite?v=9&id=${ID}`, '--home', ready.home], code: 1, message: /^funkpost: unsupported invite version 9; update funkpost$/ },
  { name: 'peers with no daemon', args: ['peers', '--home', ready.home], code: 1, message: /^funkpost: no funkpost node is running for this home, so listing peers is not possible; start one with `funkpost start`/ },
  { name: 'outbox flush with no daemon', args: ['outbox', 'flush', '--home', ready.home], code: 1, message: /^funkpost: no funkpost node is running .*start one with `funkpost start`/ },
  { name: 'bad flag', args: ['status', '--bogus', '--home', ready.home], code: 2, message: /^funkpost: Unknown argument: bogus \(see `funkpost --help`\)$/ },
  { name: 'unknown command', args: ['frobnicate', '--home', ready.home], code: 2, message: /^funkpost: Unknown argument: frobnicate/ },
  { name: 'no command', args: ['--home', ready.home], code: 2, message: /^funkpost: name a command; `funkpost --help` lists them/ },
  { name: '--profile bogus', args: ['start', '--profile', 'bogus', '--no-mdns', '--home', ready.home], code: 2, message: /^funkpost: Invalid values: Argument: profile, Given: "bogus", Choices: "router", "laptop"/ },
  { name: 'FUNKPOST_PROFILE=bogus', args: ['start', '--no-mdns', '--home', ready.home], env: { FUNKPOST_PROFILE: 'bogus' }, code: 1, message: /^funkpost: FUNKPOST_PROFILE must be one of router, laptop, not "bogus"$/ },
  { name: 'id without init', args: ['id', '--home', noinit], code: 1, message: /^funkpost: no identity at .*never-initialised\/identity\.key; run `funkpost init` first$/ },
  { name: 'send without init', args: ['send', ID, 'hi', '--home', noinit], code: 1, message: /^funkpost: no identity at .*; run `funkpost init` first$/ },
  { name: 'send with empty text', args: ['send', ID, '', '--home', ready.home], code: 2, message: /^funkpost: the message text is missing$/ },
  { name: 'send with no text', args: ['send', ID, '--home', ready.home], code: 2, message: /^funkpost: Not enough non-option arguments/ },
  { name: 'send of an over-long message', args: ['send', ID, 'x'.repeat(40_000), '--home', ready.home], code: 1, message: /^funkpost: the message is too long \(.*\); send it in shorter parts$/ },
  { name: 'corrupt config.json (status)', args: ['status', '--home', corrupt.home], code: 1, message: /^funkpost: .*corrupt\/config\.json is not valid JSON \(.*\); fix or remove it$/ },
  { name: 'corrupt config.json (start)', args: ['start', '--no-mdns', '--home', corrupt.home], code: 1, message: /config\.json is not valid JSON .*; fix or remove it$/ },
  { name: '--only-tor without --tor-socks', args: ['start', '--only-tor', '--home', ready.home], code: 1, message: /^funkpost: --only-tor needs --tor-socks HOST:PORT/ },
  { name: 'malformed --tor-socks', args: ['start', '--tor-socks', 'nonsense', '--no-mdns', '--home', ready.home], code: 1, message: /^funkpost: .*nonsense/ },
  { name: 'malformed --listen multiaddr', args: ['start', '--listen', '/ip4/999.1.1.1/tcp/7337', '--no-mdns', '--home', ready.home], code: 1, message: /^funkpost: --listen: "\/ip4\/999\.1\.1\.1\/tcp\/7337" is not a multiaddr \(.*\); e\.g\. \/ip4\// },
  { name: 'malformed --bootstrap multiaddr', args: ['start', '--listen', '/ip4/127.0.0.1/tcp/0', '--bootstrap', 'garbage', '--no-mdns', '--home', ready.home], code: 1, message: /^funkpost: --bootstrap: "garbage" is not a multiaddr/ },
  { name: '--quota-mb 0', args: ['start', '--quota-mb', '0', '--no-mdns', '--home', ready.home], code: 1, message: /^funkpost: --quota-mb: use a positive number of MiB$/ },
  { name: 'inbox --since nonsense', args: ['inbox', '--since', 'yesterday-ish', '--home', ready.home], code: 1, message: /^funkpost: --since "yesterday-ish" is not a time: use an ISO date/ },
  { name: 'inbox --limit 0', args: ['inbox', '--limit', '0', '--home', ready.home], code: 1, message: /^funkpost: --limit must be a positive whole number$/ },
  { name: 'init over an existing key', args: ['init', '--home', ready.home], code: 1, message: /^funkpost: .*identity\.key already exists; it is this node's identity\. Use --force/ },
  { name: 'an error with --json is a JSON object', args: ['send', 'nobody', 'hi', '--json', '--home', ready.home], code: 1, json: true, message: /^\{"error":"UnknownContactError","message":"\\"nobody\\" is neither a contact nor an id/ }
]

/** Run the cases two at a time (two cores); each is a separate process. */
async function runAll (): Promise<Run[]> {
  const results: Run[] = new Array(cases.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < cases.length) {
      const i = next++
      results[i] = await cli(cases[i].args, { env: cases[i].env })
    }
  }
  await Promise.all([worker(), worker()])
  return results
}

const results = await runAll()

cases.forEach((c, i) => {
  t.test(c.name, async t => {
    const r = results[i]
    t.equal(r.code, c.code, `exit ${c.code} (stderr: ${r.stderr.trim()})`)
    t.equal(r.stdout, '', 'nothing on stdout')
    const lines = r.stderr.split('\n').filter(l => l !== '')
    t.equal(lines.length, 1, 'exactly one line on stderr')
    t.match(lines[0], c.message)
    if (c.json === true) t.same(Object.keys(JSON.parse(lines[0])), ['error', 'message'])
  })
})

t.test('no failing start left anything behind', async t => {
  t.notOk(fs.existsSync(path.join(ready.home, 'funkpost.sock')), 'no control socket')
  t.notOk(fs.existsSync(path.join(corrupt.home, 'funkpost.sock')))
  t.notOk(fs.existsSync(noinit), 'commands on a never-initialised home do not create it')
})
