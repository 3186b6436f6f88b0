/**
 * `--only-tor --tor-socks PROXY`: the node makes no TCP connection anywhere
 * but the proxy, checked from outside the process with `ss`.
 *
 *   ot (ns): O ── 10.78.1.2 ═══ 10.78.1.1 ── px (ns): microsocks :1080, D :7411 ── 10.78.2.1 ═══ 10.78.2.2 ── far (ns): F :7412
 *
 * O has a default route to px (so a leaked dial anywhere would leave as a SYN
 * that `ss` sees), D is directly reachable from O on the veth, F only through
 * the proxy and only by a name that only the proxy resolves
 * (/dns4/far.funkpost.test), and one bootstrap address is dead (192.0.2.1,
 * TEST-NET-1). O must reach D and F, and every socket it owns must be its
 * loopback listener or a connection to 10.78.1.1:1080; no UDP at all (no mDNS).
 */
import t from 'tap'
import {
  Lab, labUnavailable, ensureBuilt, initNode, startNode, spawnNode, cliJson, waitFor, sleep,
  type PeerRow, type SsSocket
} from './netns-tor.js'

const PROXY = '10.78.1.1:1080'

const why = labUnavailable({ ip: 'iproute2', ss: 'iproute2', microsocks: 'microsocks' })
if (why !== undefined) t.plan(0, `SKIP: ${why}`)
else {
  t.test('an --only-tor node connects only to its SOCKS proxy, even to a peer it could reach directly', async t => {
    ensureBuilt()
    const lab = new Lab('ot')
    t.teardown(async () => lab.cleanup())
    const ot = lab.ns('ot')
    const px = lab.ns('px')
    const far = lab.ns('far')
    lab.link(ot, '10.78.1.2', px, '10.78.1.1')
    lab.link(px, '10.78.2.1', far, '10.78.2.2')
    lab.noForwarding(px)
    lab.run(ot, 'ip', ['route', 'add', 'default', 'via', '10.78.1.1'])
    lab.hosts(px, ['10.78.2.2 far.funkpost.test'])

    const dir = lab.tmp()
    const [o, d, f, dead] = await Promise.all(['o', 'd', 'f', 'dead'].map(async n => initNode(dir, n)))
    const proxy = lab.spawn(px, 'microsocks', ['-i', '10.78.1.1', '-p', '1080'])
    await waitFor('microsocks listening', 5000, () => lab.ss(px, 't').some(s => s.state === 'LISTEN' && s.local === PROXY), 50)
    // D keeps mDNS on: it shows what an mDNS socket looks like to `ss`, so the check on O below can fail
    const [nD] = await Promise.all([
      startNode(lab, px, d.home, ['--listen', '/ip4/10.78.1.1/tcp/7411', '--no-dht']),
      startNode(lab, far, f.home, ['--listen', '/ip4/10.78.2.2/tcp/7412', '--no-mdns', '--no-dht'])
    ])
    t.ok(lab.tcpOpen(ot, '10.78.1.1', 7411), 'D is directly reachable from O\'s namespace')
    t.notOk(lab.tcpOpen(ot, '10.78.2.2', 7412), 'F is not')

    // O: no --listen (only-tor listens on loopback by default), no --no-mdns (only-tor turns it off)
    const started = Date.now()
    const nO = spawnNode(lab, ot, o.home, [
      '--only-tor', '--tor-socks', PROXY,
      '--bootstrap', `/ip4/10.78.1.1/tcp/7411/p2p/${d.id}`,
      '--bootstrap', `/ip4/192.0.2.1/tcp/7337/p2p/${dead.id}`,
      '--bridge', `/dns4/far.funkpost.test/tcp/7412/p2p/${f.id}`
    ])
    const oPid = nO.pid
    // poll O's sockets from the moment it starts, every ~50 ms
    const seen = new Map<string, SsSocket>()
    const udp = new Map<string, SsSocket>()
    let polls = 0
    let polling = true
    const poller = (async () => {
      for (let i = 0; i < 1000 && polling; i++) {
        polls++
        for (const s of lab.ss(ot, 't')) if (s.pids.includes(oPid)) seen.set(`${s.state} ${s.local} ${s.peer}`, s)
        for (const s of lab.ss(ot, 'u')) if (s.pids.includes(oPid)) udp.set(`${s.local} ${s.peer}`, s)
        await sleep(50)
      }
    })()
    await nO.waitFor(/control socket /, 30_000)
    const api = await lab.api(o.home)
    await waitFor('O connected to D and F', 30_000, async () => {
      const peers = await api.call<PeerRow[]>('peers')
      return [d.id, f.id].every(id => peers.some(p => p.id === id && p.connected))
    }, 100)
    t.comment(`O connected to D and F ${Date.now() - started} ms after start`)
    await sleep(5000) // keep watching: redials of the dead bootstrap, identify, DHT, gossip
    polling = false
    await poller

    const listeners = [...seen.values()].filter(s => s.state === 'LISTEN')
    t.ok(listeners.length > 0 && listeners.every(s => s.local.startsWith('127.0.0.1:')), `O listens on loopback only: ${listeners.map(s => s.local).join(', ')}`)
    const listenPorts = new Set(listeners.map(s => s.local))
    const conns = [...seen.values()].filter(s => s.state !== 'LISTEN' && !listenPorts.has(s.local))
    const elsewhere = conns.filter(s => s.peer !== PROXY)
    t.ok(conns.length > 0, `${polls} polls saw ${conns.length} outbound sockets of O (${[...new Set(conns.map(s => s.state))].join(', ')})`)
    t.comment(`O's sockets at the end (ss -tanp in its namespace):\n${lab.ss(ot, 't').filter(s => s.pids.includes(oPid)).map(s => `${s.state} ${s.local} ${s.peer}`).join('\n')}`)
    t.same(elsewhere.map(s => `${s.state} ${s.local} → ${s.peer}`), [], `every outbound socket of O goes to the proxy ${PROXY}`)
    t.same([...udp.keys()], [], 'O owns no UDP socket (no mDNS on 5353, no DNS)')
    const dUdp = lab.ss(px, 'u').filter(s => s.pids.includes(nD.pid) && s.local.endsWith(':5353'))
    t.ok(dUdp.length > 0, `the same check sees D's mDNS socket (${dUdp.map(s => s.local).join(', ')})`)

    // O's peers, from the CLI
    const peers = await cliJson<PeerRow[]>(o.home, ['peers'])
    t.ok(peers.some(p => p.id === d.id && p.connected), '`peers --json` on O: D connected')
    t.ok(peers.some(p => p.id === f.id && p.connected), '`peers --json` on O: F connected (by a name only the proxy resolves)')
    t.notOk(peers.some(p => p.id === dead.id && p.connected), 'the dead bootstrap is not')

    // D sees O coming from the proxy's address, never from O's own 10.78.1.2
    const dConns = lab.ss(px, 't').filter(s => s.pids.includes(nD.pid) && s.state === 'ESTAB' && s.local === '10.78.1.1:7411')
    t.ok(dConns.length >= 1, 'D has an inbound connection')
    t.notOk(dConns.some(s => s.peer.startsWith('10.78.1.2:')), `none of D's inbound connections comes from O directly (${dConns.map(s => s.peer).join(', ')})`)
    const viaProxy = lab.ss(px, 't').filter(s => s.pids.includes(proxy.pid) && s.state === 'ESTAB').map(s => s.peer)
    t.ok(viaProxy.includes('10.78.1.1:7411') && viaProxy.includes('10.78.2.2:7412'), `microsocks holds the connections to D and F (${viaProxy.join(', ')})`)
  })
}
