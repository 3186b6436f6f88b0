import t from 'tap'
import net from 'node:net'
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLibp2p } from 'libp2p'
import type { Libp2p } from 'libp2p'
import type { Transport } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import type { Ping } from '@libp2p/ping'
import { multiaddr } from '@multiformats/multiaddr'
import {
  SocksDialError, listenOnlyTcp, socksConnect, socksDestination, socksTransport, torConnectionManagerInit
} from '../../transports/tor/socks-transport.js'

const ONION = '25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid'
type Node = Libp2p<{ ping: Ping }>

async function freePort (): Promise<number> {
  const srv = net.createServer()
  await new Promise<void>(resolve => srv.listen(0, '127.0.0.1', resolve))
  const port = (srv.address() as net.AddressInfo).port
  await new Promise(resolve => srv.close(resolve))
  return port
}

async function waitForPort (port: number): Promise<boolean> {
  for (let i = 0; i < 60; i++) { // at most ~3 s
    const ok = await new Promise<boolean>(resolve => {
      const s = net.connect(port, '127.0.0.1')
      s.once('connect', () => { s.destroy(); resolve(true) })
      s.once('error', () => { resolve(false) })
    })
    if (ok) return true
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  return false
}

function hasMicrosocks (): boolean {
  if (spawnSync('sh', ['-c', 'command -v microsocks']).status === 0) return true
  spawnSync('apt-get', ['install', '-y', 'microsocks'], { stdio: 'ignore', timeout: 120_000 })
  return spawnSync('sh', ['-c', 'command -v microsocks']).status === 0
}

/**
 * microsocks on 127.0.0.1:port, in its own mount namespace whose
 * /etc/resolv.conf points at 127.0.0.1 (nothing on :53), so any name it must
 * resolve (a .onion) fails at once instead of leaving the machine.
 */
async function startMicrosocks (dir: string): Promise<{ port: number, child: ChildProcess }> {
  const port = await freePort()
  const rc = join(dir, 'resolv.conf')
  writeFileSync(rc, 'nameserver 127.0.0.1\n')
  const child = spawn('unshare', ['-m', 'sh', '-c',
    `mount --bind '${rc}' /etc/resolv.conf && exec microsocks -i 127.0.0.1 -p ${port}`], { stdio: 'ignore' })
  if (!(await waitForPort(port))) throw new Error('microsocks did not start')
  return { port, child }
}

async function stopChild (child: ChildProcess): Promise<void> {
  if (child.exitCode != null || child.signalCode != null) return
  const exited = new Promise(resolve => child.once('exit', resolve))
  child.kill('SIGTERM')
  await Promise.race([exited, new Promise(resolve => setTimeout(resolve, 2000))])
}

async function makeNode (transports: Array<(c: any) => Transport>, listen: string[] = []): Promise<Node> {
  return createLibp2p({
    addresses: { listen },
    transports,
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: { inboundConnectionThreshold: 1000 },
    services: { identify: identify(), ping: ping() }
  })
}

/** `ss` lines for established TCP sockets whose peer is 127.0.0.1:port. */
function socketsTo (port: number): string[] {
  return execFileSync('ss', ['-tnpH', 'state', 'established', `dst 127.0.0.1:${port}`], { encoding: 'utf8' })
    .split('\n').filter(l => l.trim() !== '')
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

t.test('socksDestination picks what the transport dials', async t => {
  const d = (s: string, only: boolean): unknown => socksDestination(multiaddr(s), only)
  t.same(d(`/onion3/${ONION}:4001`, false), { host: `${ONION}.onion`, port: 4001 })
  t.same(d(`/onion3/${ONION}:4001/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA`, false)?.valueOf(), { host: `${ONION}.onion`, port: 4001 })
  t.equal(d(`/onion3/${ONION.replace('2', '3')}:4001`, false), undefined, 'bad checksum is not dialed')
  t.equal(d('/ip4/127.0.0.1/tcp/1', false), undefined, 'clear-net only with onlyProxy')
  t.same(d('/ip4/127.0.0.1/tcp/1', true), { host: '127.0.0.1', port: 1 })
  t.same(d('/ip6/::1/tcp/2', true), { host: '::1', port: 2 })
  t.same(d('/dns4/example.org/tcp/3', true), { host: 'example.org', port: 3 })
  t.same(d('/dns/example.org/tcp/4', true), { host: 'example.org', port: 4 })
  t.equal(d('/ip4/127.0.0.1/udp/1/quic-v1', true), undefined)
  t.equal(d('/ip4/127.0.0.1/tcp/1/ws', true), undefined)
  t.equal(d('/dnsaddr/example.org', true), undefined)
  t.same(torConnectionManagerInit(true).resolvers, {})
  t.equal(torConnectionManagerInit(false).resolvers, undefined)
})

t.test('failures are fast and named (no proxy needed)', async t => {
  t.test('nothing listens on the proxy port', async t => {
    const port = await freePort()
    const start = Date.now()
    const err = await socksConnect({ host: '127.0.0.1', port }, { host: '127.0.0.1', port: 1 }, { timeoutMs: 30_000 })
      .catch((e: unknown) => e) as SocksDialError
    t.ok(Date.now() - start < 2000, `failed in ${Date.now() - start} ms`)
    t.equal(err.name, 'SocksDialError')
    t.equal(err.reason, 'proxy-refused')
    t.comment(err.message)
    t.match(err.message, `SOCKS5 proxy 127.0.0.1:${port} refused`)
  })

  t.test('a proxy that accepts and never answers times out at timeoutMs', async t => {
    const silent = net.createServer(s => { s.on('data', () => {}); s.on('error', () => {}) })
    await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve))
    t.teardown(() => { silent.close() })
    const port = (silent.address() as net.AddressInfo).port
    const start = Date.now()
    const err = await socksConnect({ host: '127.0.0.1', port }, { host: `${ONION}.onion`, port: 1 }, { timeoutMs: 500 })
      .catch((e: unknown) => e) as SocksDialError
    const took = Date.now() - start
    t.ok(took >= 450 && took < 1500, `timed out after ${took} ms`)
    t.equal(err.name, 'SocksDialError')
    t.equal(err.reason, 'timeout')
    t.comment(err.message)
    t.match(err.message, 'timed out after 500 ms')

    // the abort signal wins over a long deadline
    const ac = new AbortController()
    setTimeout(() => { ac.abort() }, 100)
    const s2 = Date.now()
    const aborted = await socksConnect({ host: '127.0.0.1', port }, { host: 'x', port: 1 }, { timeoutMs: 30_000, signal: ac.signal })
      .catch((e: unknown) => e) as Error
    t.equal(aborted.name, 'AbortError')
    t.ok(Date.now() - s2 < 1000, `aborted after ${Date.now() - s2} ms`)
  })
})

t.test('real nodes through microsocks', async t => {
  if (!hasMicrosocks()) {
    t.plan(0, 'SKIP: microsocks is not installed and apt-get install microsocks failed')
    return
  }
  const dir = mkdtempSync(join(tmpdir(), 'fp-socks-'))
  const proxy = await startMicrosocks(dir)
  const proxyAddr = { host: '127.0.0.1', port: proxy.port }
  const b = await makeNode([tcp()], ['/ip4/127.0.0.1/tcp/0'])
  const bAddr = b.getMultiaddrs()[0]
  const bPort = Number(bAddr.getComponents()[1].value)
  const nodes: Node[] = [b]
  t.teardown(async () => {
    await Promise.all(nodes.map(async n => n.stop()))
    await stopChild(proxy.child)
    rmSync(dir, { recursive: true, force: true })
  })

  t.test('onlyProxy: A dials B through the proxy and pings it', async t => {
    const a = await makeNode([socksTransport({ proxy: proxyAddr, onlyProxy: true })])
    nodes.push(a)
    const conn = await a.dial(bAddr, { signal: AbortSignal.timeout(10_000) })
    t.equal(conn.remotePeer.toString(), b.peerId.toString())
    const rtts: number[] = []
    for (let i = 0; i < 10; i++) rtts.push(await a.services.ping.ping(bAddr))
    t.comment(`ping through microsocks: median ${median(rtts)} ms, max ${Math.max(...rtts)} ms (n=10)`)
    t.ok(rtts.every(r => r < 1000), 'every ping answered within 1 s')

    // one-way A -> B: one message every 60 ms (longer than a delayed ACK, so
    // Nagle never holds data anywhere) must arrive at once. If A wrote a frame
    // as several segments, microsocks would forward them as several writes
    // and its own Nagle would hold the tail until B's delayed ACK (~40 ms).
    const arrivals: number[] = []
    await b.handle('/fp-test/oneway/1', stream => {
      stream.addEventListener('message', () => { arrivals.push(performance.now()) })
    })
    const stream = await a.dialProtocol(bAddr, '/fp-test/oneway/1')
    const sent: number[] = []
    for (let i = 0; i < 12; i++) {
      await new Promise(resolve => setTimeout(resolve, 60))
      sent.push(performance.now())
      stream.send(new Uint8Array(32).fill(i))
    }
    await new Promise(resolve => setTimeout(resolve, 200))
    t.equal(arrivals.length, sent.length, 'every message arrived as one event')
    const oneWay = sent.slice(2).map((s, i) => arrivals[i + 2] - s)
    t.comment(`one-way A->B through microsocks: median ${median(oneWay).toFixed(2)} ms, max ${Math.max(...oneWay).toFixed(2)} ms`)
    t.ok(median(oneWay) < 15, `one-way median ${median(oneWay).toFixed(2)} ms < 15 ms`)
    stream.abort(new Error('done'))

    // every socket connected to B's port belongs to microsocks, none to us
    const lines = socketsTo(bPort)
    t.ok(lines.length >= 1, lines.join('\n'))
    for (const l of lines) {
      t.match(l, `pid=${proxy.child.pid},`, 'held by microsocks')
      t.notMatch(l, `pid=${process.pid},`, 'not by this process')
    }
    // and the address B sees is microsocks' outbound socket
    const seen = b.getConnections(a.peerId)[0].remoteAddr.getComponents()[1].value
    t.ok(lines.some(l => l.includes(`127.0.0.1:${seen ?? '?'} `)), `B's remote port ${seen ?? '?'} is microsocks' socket`)
    await a.hangUp(b.peerId)
  })

  t.test('onlyProxy: /dns4/localhost is resolved by the proxy', async t => {
    const a = await makeNode([socksTransport({ proxy: proxyAddr, onlyProxy: true })])
    nodes.push(a)
    const rtt = await a.services.ping.ping(multiaddr(`/dns4/localhost/tcp/${bPort}/p2p/${b.peerId.toString()}`))
    t.ok(rtt >= 0)
  })

  t.test('/onion3 through a proxy that cannot resolve .onion fails clearly', async t => {
    const a = await makeNode([socksTransport({ proxy: proxyAddr, timeoutMs: 5000 })])
    nodes.push(a)
    const start = Date.now()
    const err = await a.dial(multiaddr(`/onion3/${ONION}:4001`), { signal: AbortSignal.timeout(10_000) })
      .catch((e: unknown) => e) as SocksDialError
    t.ok(Date.now() - start < 3000, `failed in ${Date.now() - start} ms`)
    t.equal(err.name, 'SocksDialError')
    t.equal(err.reason, 'rejected')
    t.comment(err.message)
    t.match(err.message, `could not connect to ${ONION}.onion:4001`)
  })

  t.test('listenOnlyTcp: C listens on TCP and still dials only through the proxy', async t => {
    for (const order of ['socks-first', 'tcp-first']) {
      const s = socksTransport({ proxy: proxyAddr, onlyProxy: true })
      const l = listenOnlyTcp(tcp())
      const c = await makeNode(order === 'socks-first' ? [s, l] : [l, s], ['/ip4/127.0.0.1/tcp/0'])
      nodes.push(c)
      await c.services.ping.ping(bAddr)
      const peers = socketsTo(bPort).filter(x => x.includes(`pid=${process.pid},`))
      t.same(peers, [], `${order}: no direct socket from this process to B`)
      // C still accepts direct inbound TCP (the onion service's target)
      t.ok(await b.services.ping.ping(c.getMultiaddrs()[0]) >= 0, `${order}: C accepts inbound TCP`)
      await c.stop()
    }
  })

  t.test('a dead proxy means no connection at all (no clear-net fallback)', async t => {
    const dead = await freePort()
    const a = await makeNode([socksTransport({ proxy: { host: '127.0.0.1', port: dead }, onlyProxy: true }), listenOnlyTcp(tcp())])
    nodes.push(a)
    const start = Date.now()
    const err = await a.dial(bAddr, { signal: AbortSignal.timeout(10_000) }).catch((e: unknown) => e) as SocksDialError
    t.ok(Date.now() - start < 2000, `failed in ${Date.now() - start} ms`)
    t.equal(err.name, 'SocksDialError')
    t.match(err.message, `SOCKS5 proxy 127.0.0.1:${dead} refused`)
    t.equal(a.getConnections().length, 0)

    // the pitfall this guards against: plain tcp() listed first dials directly
    const leaky = await makeNode([tcp(), socksTransport({ proxy: { host: '127.0.0.1', port: dead }, onlyProxy: true })])
    nodes.push(leaky)
    t.ok(await leaky.services.ping.ping(bAddr) >= 0, 'unwrapped tcp() first bypasses the proxy')
  })

  t.test('the dial AbortSignal aborts a dial stuck at the proxy', async t => {
    const silent = net.createServer(s => { s.on('data', () => {}); s.on('error', () => {}) })
    await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve))
    t.teardown(() => { silent.close() })
    const port = (silent.address() as net.AddressInfo).port
    const a = await makeNode([socksTransport({ proxy: { host: '127.0.0.1', port }, onlyProxy: true })])
    nodes.push(a)
    const start = Date.now()
    const err = await a.dial(bAddr, { signal: AbortSignal.timeout(300) }).catch((e: unknown) => e) as Error
    t.ok(err instanceof Error, `rejected with ${err.name}: ${err.message}`)
    t.ok(Date.now() - start < 1500, `gave up after ${Date.now() - start} ms`)

    // and with a long dial signal, the transport's own timeoutMs ends it
    const quick = await makeNode([socksTransport({ proxy: { host: '127.0.0.1', port }, onlyProxy: true, timeoutMs: 500 })])
    nodes.push(quick)
    const s2 = Date.now()
    const timeout = await quick.dial(bAddr, { signal: AbortSignal.timeout(10_000) }).catch((e: unknown) => e) as SocksDialError
    const took = Date.now() - s2
    t.ok(took >= 450 && took < 1500, `timed out after ${took} ms`)
    t.equal(timeout.name, 'SocksDialError')
    t.equal(timeout.reason, 'timeout')
    t.match(timeout.message, 'timed out after 500 ms')
  })
})
