/**
 * Two islands with no IP path between them, bridged by a SOCKS5 proxy.
 *
 *   island1 (ns)                      proxy (ns, ip_forward=0)                   island2 (ns)
 *   A1 ──127.0.0.1── B1 ── 10.77.1.2 ═══ 10.77.1.1:1080 microsocks 10.77.2.1 ═══ 10.77.2.2 ── B2 ──127.0.0.1── C2
 *
 * B1 runs with --tor-socks 10.77.1.1:1080 --bridge /onion3/<name>:7402/p2p/<B2>,
 * exactly as a Tor bridge would; the proxy's /etc/hosts (ip netns exec's
 * /etc/netns/NS/hosts) resolves <name>.onion to B2's island2 address, which is
 * what tor does for a real onion. A message typed on A1 reaches C2, which no
 * process on island 1 can reach by IP; mail sent while the proxy is down
 * arrives once it is back, exactly once, and the acks come back.
 */
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { onion3FromPublicKey } from '../../transports/tor/onion.js'
import {
  Lab, labUnavailable, ensureBuilt, initNode, startNode, cli, cliJson, waitFor, sleep,
  type PeerRow, type InboxRow, type Proc
} from './netns-tor.js'

interface Status { custody: { count: number }, outbox: { count: number } }

const why = labUnavailable({ ip: 'iproute2', ss: 'iproute2', microsocks: 'microsocks' })
if (why !== undefined) t.plan(0, `SKIP: ${why}`)
else {
  t.test('a message crosses from island 1 to island 2 through the SOCKS bridge, and backlog syncs after a split', async t => {
    ensureBuilt()
    const lab = new Lab('br')
    t.teardown(async () => lab.cleanup())
    const T0 = Date.now()
    const mark = (what: string): void => { t.comment(`[${((Date.now() - T0) / 1000).toFixed(1)} s] ${what}`) }
    const i1 = lab.ns('i1')
    const px = lab.ns('px')
    const i2 = lab.ns('i2')
    lab.link(i1, '10.77.1.2', px, '10.77.1.1')
    lab.link(px, '10.77.2.1', i2, '10.77.2.2')
    lab.noForwarding(px)
    const onion = onion3FromPublicKey(randomBytes(32))
    lab.hosts(px, [`10.77.2.2 ${onion}.onion`])

    const dir = lab.tmp()
    const [a1, b1, b2, c2] = await Promise.all(['a1', 'b1', 'b2', 'c2'].map(async n => initNode(dir, n)))
    const startProxy = async (): Promise<Proc> => {
      const p = lab.spawn(px, 'microsocks', ['-i', '10.77.1.1', '-p', '1080', '-b', '10.77.2.1'])
      await waitFor('microsocks listening', 5000, () => lab.ss(px, 't').some(s => s.state === 'LISTEN' && s.local === '10.77.1.1:1080' && s.pids.includes(p.pid)), 50)
      return p
    }
    let proxy = await startProxy()

    const base = ['--no-mdns', '--no-dht']
    const bridgeAddr = `/onion3/${onion}:7402/p2p/${b2.id}`
    const [nB2, nB1] = await Promise.all([
      startNode(lab, i2, b2.home, [...base, '--listen', '/ip4/10.77.2.2/tcp/7402', '--listen', '/ip4/127.0.0.1/tcp/7402']),
      startNode(lab, i1, b1.home, [...base, '--listen', '/ip4/127.0.0.1/tcp/7401', '--tor-socks', '10.77.1.1:1080', '--bridge', bridgeAddr]),
      startNode(lab, i2, c2.home, [...base, '--listen', '/ip4/127.0.0.1/tcp/7403', '--bootstrap', `/ip4/127.0.0.1/tcp/7402/p2p/${b2.id}`]),
      startNode(lab, i1, a1.home, [...base, '--listen', '/ip4/127.0.0.1/tcp/7400', '--bootstrap', `/ip4/127.0.0.1/tcp/7401/p2p/${b1.id}`])
    ])
    mark('4 nodes started')

    // no IP path from island 1 to island 2; the same probe works where there is one
    t.notOk(lab.tcpOpen(i1, '10.77.2.2', 7402), 'island1 cannot open TCP to B2 (10.77.2.2:7402)')
    t.ok(lab.tcpOpen(px, '10.77.2.2', 7402), 'the proxy namespace can (the probe works)')
    t.ok(lab.tcpOpen(i1, '10.77.1.1', 1080), 'island1 reaches the proxy')

    const [apiA1, apiB1, apiC2] = await Promise.all([lab.api(a1.home), lab.api(b1.home), lab.api(c2.home)])
    const linked = async (home: string, id: string): Promise<boolean> =>
      (await (await lab.api(home)).call<PeerRow[]>('peers')).some(p => p.id === id && p.connected)
    await waitFor('B1 ↔ B2 over the bridge, A1 ↔ B1, C2 ↔ B2', 30_000, async () =>
      await linked(b1.home, b2.id) && await linked(a1.home, b1.id) && await linked(c2.home, b2.id))
    mark('B1 connected to B2 through the proxy')
    const b1Peers = await cliJson<PeerRow[]>(b1.home, ['peers'])
    t.ok(b1Peers.some(p => p.id === b2.id && p.connected), '`peers --json` on B1 lists B2 connected')

    // the bridge connection is microsocks' (10.77.2.1 → 10.77.2.2:7402); B1 itself only talks to the proxy
    const viaProxy = lab.ss(px, 't').filter(s => s.state === 'ESTAB' && s.pids.includes(proxy.pid) && s.peer === '10.77.2.2:7402')
    t.ok(viaProxy.length >= 1, `microsocks (pid ${proxy.pid}) holds ${viaProxy.map(s => `${s.local}→${s.peer}`).join(', ')}`)
    const b1Out = lab.ss(i1, 't').filter(s => s.pids.includes(nB1.pid) && s.state === 'ESTAB' && s.local !== '127.0.0.1:7401')
    t.ok(b1Out.length >= 1 && b1Out.every(s => s.peer === '10.77.1.1:1080'), `B1's outbound sockets all go to the proxy: ${b1Out.map(s => s.peer).join(', ')}`)
    const b2In = lab.ss(i2, 't').filter(s => s.pids.includes(nB2.pid) && s.state === 'ESTAB' && s.local === '10.77.2.2:7402')
    t.ok(b2In.length >= 1 && b2In.every(s => s.peer.startsWith('10.77.2.1:')), 'B2 sees the bridge coming from the proxy\'s island2 address')

    // every message C2 accepts, as pushed by its control socket
    const arrivals: Array<{ text: string, at: number }> = []
    await apiC2.subscribe((event, data) => {
      const m = data as { text?: unknown }
      if (event === 'message' && typeof m.text === 'string') arrivals.push({ text: m.text, at: Date.now() })
    })
    const arrivedAt = (text: string): number | undefined => arrivals.find(a => a.text === text)?.at
    const acked = new Map<string, number>() // text → when A1 learnt it was delivered (C2's ack)
    await apiA1.subscribe((event, data) => {
      const m = data as { text?: unknown }
      if (event === 'delivered' && typeof m.text === 'string' && !acked.has(m.text)) acked.set(m.text, Date.now())
    })

    // 1. a message typed on island 1 reaches C2
    const first = await cli(a1.home, ['send', c2.id, 'hello island 2'])
    t.equal(first.status, 0, `funkpost send on A1: ${first.stderr}`)
    await waitFor('"hello island 2" on C2', 15_000, () => arrivedAt('hello island 2') !== undefined, 20)
    const inbox1 = await cliJson<InboxRow[]>(c2.home, ['inbox'])
    t.same(inbox1.map(m => [m.from, m.text]), [[a1.id, 'hello island 2']], '`inbox --json` on C2 shows it, from A1')
    mark('first message delivered')

    // latency A1 → C2 across the proxy, through the control sockets (no CLI start-up in the figure)
    const lat: number[] = []
    for (let i = 0; i < 10; i++) {
      const text = `ping ${i}`
      const s = Date.now()
      await apiA1.call('send', { to: c2.id, text })
      lat.push(await waitFor(`"${text}" on C2`, 10_000, () => arrivedAt(text), 5) - s)
    }
    lat.sort((x, y) => x - y)
    t.comment(`A1→C2 latency through microsocks, 10 messages: median ${lat[5]} ms, min ${lat[0]} ms, max ${lat[9]} ms`)
    t.ok(lat[5] < 2000, `median latency ${lat[5]} ms < 2 s`)

    // 2. split: the proxy goes away, A1 keeps writing, B1 holds the mail
    // (first let the acks of what was sent so far settle, so B1's custody count only grows)
    const sentSoFar = ['hello island 2', ...Array.from({ length: 10 }, (_, i) => `ping ${i}`)]
    await waitFor('C2\'s acks for the first 11 messages on A1', 60_000, () => sentSoFar.every(m => acked.has(m)), 50)
    const heldBefore = (await apiB1.call<Status>('status')).custody.count
    await proxy.stop()
    await waitFor('B1 to notice the bridge is down', 15_000, async () => !await linked(b1.home, b2.id), 50)
    mark('proxy stopped, B1 ↔ B2 down')
    const backlog = ['split 1', 'split 2', 'split 3', 'split 4', 'split 5']
    for (const text of backlog) await apiA1.call('send', { to: c2.id, text }) // the call `funkpost send` makes
    const held = await waitFor('B1 to hold the backlog in custody', 15_000, async () => {
      const n = (await apiB1.call<Status>('status')).custody.count
      return n >= heldBefore + backlog.length ? n : undefined
    }, 50)
    t.ok(held - heldBefore >= backlog.length, `B1 holds ${held - heldBefore} more envelopes for others while the bridge is down`)
    t.notOk(arrivals.some(a => a.text.startsWith('split')), 'nothing of the backlog reached C2 while the bridge was down')

    // the bridge comes back: a new proxy process; B1's keeper redials (backoff 1 s doubling)
    const healed = Date.now()
    proxy = await startProxy()
    await waitFor('the whole backlog on C2', 70_000, () => backlog.every(b => arrivedAt(b) !== undefined), 50)
    const lastAt = Math.max(...backlog.map(b => arrivedAt(b) ?? 0))
    t.comment(`backlog of ${backlog.length} on C2 ${lastAt - healed} ms after the proxy restarted`)
    mark('backlog delivered')
    t.ok(lab.ss(px, 't').some(s => s.state === 'ESTAB' && s.pids.includes(proxy.pid) && s.peer === '10.77.2.2:7402'), 'again through the (new) proxy')

    await sleep(2000) // room for late duplicates (gossip, sync and direct delivery all carry them)
    const final = await cliJson<InboxRow[]>(c2.home, ['inbox'])
    for (const b of backlog) {
      t.equal(final.filter(m => m.text === b).length, 1, `"${b}" once in \`inbox --json\``)
      t.equal(arrivals.filter(a => a.text === b).length, 1, `"${b}" announced once as a new message`)
    }
    t.equal(new Set(final.map(m => m.id)).size, final.length, 'no id twice in C2\'s inbox')
    t.equal(final.length, 1 + 10 + backlog.length, 'and nothing else arrived')

    // acks travel back across the bridge: A1 sees every message delivered, its outbox drains
    await waitFor('C2\'s acks for the backlog on A1', 60_000, () => backlog.every(b => acked.has(b)), 50)
    const ackLag = backlog.map(b => (acked.get(b) ?? 0) - (arrivedAt(b) ?? 0)).sort((x, y) => x - y)
    t.comment(`ack back on A1 after arrival on C2: ${ackLag.join(', ')} ms`)
    await waitFor('A1\'s outbox to drain', 30_000, async () => (await apiA1.call<Status>('status')).outbox.count === 0)
    const st = await cliJson<Status>(a1.home, ['status'])
    t.equal(st.outbox.count, 0, 'A1\'s outbox is empty: C2 acknowledged every message across the bridge')
    mark('acks back on A1')
  })
}
