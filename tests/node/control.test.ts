/**
 * The control socket protocol (NDJSON over a 0600 Unix socket) against a
 * real offline node on disk: answers carry the request id, a line that is
 * not JSON or names no known method gets an error object and the
 * connection goes on, handler errors keep their name, subscribers get
 * events, oversized lines cut the connection, a stale socket is replaced
 * and a live one is not, and stop removes the file.
 */
import t from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import net from 'node:net'
import path from 'node:path'
import crypto from 'node:crypto'
import { spawn } from 'node:child_process'
import { FunkpostNode } from '../../node/node.js'
import { identityFromSeed } from '../../node/identity.js'
import { makeContext } from '../../node/api.js'
import { ControlServer, ControlClient, socketPath, probe } from '../../node/control.js'

const bob = identityFromSeed(new Uint8Array(32).fill(2))

async function setup (t: Tap): Promise<{ home: string, node: FunkpostNode, server: ControlServer }> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'funkpost-control-'))
  const node = new FunkpostNode({ home, identity: identityFromSeed(new Uint8Array(crypto.randomBytes(32))), name: 'ctl', listen: [] })
  await node.start({ network: false })
  const server = new ControlServer(await makeContext(node), home)
  await server.start()
  t.teardown(async () => {
    await server.stop()
    await node.stop()
    fs.rmSync(home, { recursive: true, force: true })
  })
  return { home, node, server }
}
type Tap = { teardown: (fn: () => Promise<void> | void) => void }

/** A raw NDJSON connection: write lines, read parsed lines in order (bounded waits). */
async function raw (file: string): Promise<{ send: (line: string) => void, next: () => Promise<any>, closed: Promise<void>, sock: net.Socket }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const sock = net.connect(file)
  await new Promise<void>((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject) })
  sock.setEncoding('utf8')
  const lines: string[] = []
  const waiters: Array<(l: string) => void> = []
  let buf = ''
  sock.on('data', (s: string) => {
    buf += s
    let i: number
    while ((i = buf.indexOf('\n')) >= 0) {
      const l = buf.slice(0, i)
      buf = buf.slice(i + 1)
      const w = waiters.shift()
      if (w !== undefined) w(l); else lines.push(l)
    }
  })
  sock.on('error', () => {})
  const closed = new Promise<void>(resolve => sock.once('close', () => resolve()))
  return {
    sock,
    closed,
    send: (line) => { sock.write(line + '\n') },
    next: async () => {
      const l = lines.shift() ?? await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no line within 5 s')), 5000)
        waiters.push(x => { clearTimeout(timer); resolve(x) })
      })
      return JSON.parse(l)
    }
  }
}

t.test('requests, errors and pipelining on one connection', async t => {
  const { home, node } = await setup(t)
  const file = socketPath(home)
  t.equal(fs.statSync(file).mode & 0o777, 0o600, 'socket mode 0600')
  t.equal(await probe(file), true)
  const c = await raw(file)

  c.send('this is not json')
  t.same(await c.next(), { id: null, error: { name: 'InvalidRequest', message: 'not JSON' } }, 'bad JSON → error object with id null')
  c.send(JSON.stringify({ id: 7, method: 'frobnicate' }))
  t.same(await c.next(), { id: 7, error: { name: 'UnknownMethod', message: 'unknown method frobnicate' } }, 'unknown method → error')
  c.send(JSON.stringify({ id: 8 }))
  t.same((await c.next()).error?.name, 'UnknownMethod', 'no method at all')

  c.send(JSON.stringify({ id: 'a', method: 'status' }))
  const st = await c.next()
  t.equal(st.id, 'a', 'string ids come back as given')
  t.equal(st.result.id, node.id)
  t.equal(st.result.name, 'ctl')
  t.equal(st.result.online, false)

  c.send(JSON.stringify({ id: 9, method: 'send', params: { to: 'nobody', text: 'x' } }))
  t.match(await c.next(), { id: 9, error: { name: 'UnknownContactError', message: /"nobody" is neither a contact nor an id/ } }, 'handler errors keep their name')
  c.send(JSON.stringify({ id: 10, method: 'send', params: { text: 'x' } }))
  t.same(await c.next(), { id: 10, error: { name: 'InvalidArgumentError', message: 'missing to' } })
  c.send(JSON.stringify({ id: 11, method: 'peers' }))
  t.match(await c.next(), { id: 11, error: { name: 'NoDaemonError' } }, 'network methods on an offline node say so')

  // Two requests in one write, a blank line between them. They run concurrently:
  // answers may come in any order and are matched by id.
  c.sock.write(JSON.stringify({ id: 12, method: 'contacts.add', params: { name: 'bob', id: bob.id } }) + '\n\n' + JSON.stringify({ id: 13, method: 'status' }) + '\n')
  const answers = [await c.next(), await c.next()].sort((x, y) => x.id - y.id)
  t.same(answers[0], { id: 12, result: { name: 'bob', id: bob.id, verified: false, created: true } })
  t.equal(answers[1].id, 13)
  t.equal(answers[1].result.id, node.id)
  c.send(JSON.stringify({ id: 14, method: 'contacts.list' }))
  t.same(await c.next(), { id: 14, result: [{ name: 'bob', id: bob.id, verified: false }] })
  c.sock.destroy()
})

t.test('subscribe: events are pushed as {event, data} lines', async t => {
  const { home } = await setup(t)
  const listener = await raw(socketPath(home))
  listener.send(JSON.stringify({ id: 1, method: 'subscribe' }))
  t.same(await listener.next(), { id: 1, result: { subscribed: true } })
  const other = await raw(socketPath(home))
  other.send(JSON.stringify({ id: 1, method: 'send', params: { to: bob.id, text: 'queued while offline' } }))
  const sent = await other.next()
  t.match(sent.result, { to: bob.id, queued: true })
  t.same(await listener.next(), { event: 'outbox', data: { id: sent.result.id, change: 'added' } }, 'the subscriber hears the outbox change')
  listener.sock.destroy()
  other.sock.destroy()
})

t.test('a line over 1 MiB without a newline closes the connection; the server goes on', async t => {
  const { home } = await setup(t)
  const c = await raw(socketPath(home))
  c.sock.write('x'.repeat(1024 * 1024 + 10))
  await Promise.race([c.closed, new Promise((resolve, reject) => setTimeout(() => reject(new Error('not closed within 5 s')), 5000))])
  t.pass('connection closed')
  const d = await raw(socketPath(home))
  d.send(JSON.stringify({ id: 1, method: 'status' }))
  t.ok((await d.next()).result, 'a new connection works')
  d.sock.destroy()
})

t.test('ControlClient: results, named errors, NoDaemonError when none runs or it stops', async t => {
  const { home, node, server } = await setup(t)
  const client = await ControlClient.connect(home)
  t.equal((await client.call<{ id: string }>('status')).id, node.id)
  const err = await client.call('verify', { name: 'nobody' }).catch((e: Error) => e)
  t.equal((err as Error).name, 'UnknownContactError')
  const events: string[] = []
  await client.subscribe(e => events.push(e))
  let closed = false
  client.onClose = () => { closed = true }
  await node.send(bob.publicKey, 'hello')
  for (let i = 0; i < 100 && !events.includes('outbox'); i++) await new Promise(resolve => setTimeout(resolve, 20))
  t.ok(events.includes('outbox'), 'subscribe delivers events to the callback')

  await server.stop()
  t.notOk(fs.existsSync(socketPath(home)), 'stop removes the socket file')
  for (let i = 0; i < 100 && !closed; i++) await new Promise(resolve => setTimeout(resolve, 20))
  t.ok(closed, 'the client hears the server go away')
  await t.rejects(client.call('status'), { name: 'NoDaemonError' })
  await t.rejects(ControlClient.connect(home), { name: 'NoDaemonError', message: /no funkpost node is running for .*; start one with `funkpost start`/ })
})

t.test('a live socket is never taken over; a stale one (SIGKILLed owner) is replaced', async t => {
  const { home, node } = await setup(t)
  const ctx = await makeContext(node)
  await t.rejects(new ControlServer(ctx, home).start(), { name: 'DaemonRunningError', message: /already running/ })
  t.equal(await probe(socketPath(home)), true, 'the first server still answers')

  const other = fs.mkdtempSync(path.join(os.tmpdir(), 'funkpost-stale-'))
  t.teardown(() => fs.rmSync(other, { recursive: true, force: true }))
  const file = socketPath(other)
  // A process listens on the socket and is SIGKILLed: the file stays, nobody answers.
  const child = spawn('/usr/bin/env', ['-u', 'NODE_OPTIONS', process.execPath, '-e',
    `require('net').createServer().listen(${JSON.stringify(file)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('listener did not start')), 10_000)
    child.stdout.once('data', () => { clearTimeout(timer); resolve() })
  })
  child.kill('SIGKILL')
  await new Promise(resolve => child.once('exit', resolve))
  t.ok(fs.existsSync(file), 'stale socket file left behind')
  t.equal(await probe(file), false, 'nobody answers on it')
  const fresh = new ControlServer(ctx, other)
  await fresh.start()
  t.equal(await probe(file), true, 'replaced by a live server')
  t.equal(fs.statSync(file).mode & 0o777, 0o600)
  await fresh.stop()
})
