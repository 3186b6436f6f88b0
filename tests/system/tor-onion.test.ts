/**
 * The onion side of a bridge with the real tor binary, offline, in a network
 * namespace that has only loopback (nothing tor does can leave it):
 * `funkpost tor setup --write` makes the torrc lines, tor opens its SocksPort
 * and writes the onion hostname and keys, `funkpost start --onion-dir`
 * announces /onion3/<name>:<port>, and a second node learns that address
 * from the first one's signed ANNOUNCE.
 */
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import {
  Lab, labUnavailable, ensureBuilt, initNode, startNode, cli, cliJson, waitFor,
  type PeerRow
} from './netns-tor.js'
import { readOnionHostname } from '../../transports/tor/torrc.js'

const PORT = 7351 // the node's loopback port = the onion service's port
const SOCKS = 9151
const ONION = /\/onion3\/([a-z2-7]{56}):(\d+)/

const why = labUnavailable({ ip: 'iproute2', ss: 'iproute2', tor: 'tor' })
if (why !== undefined) t.plan(0, `SKIP: ${why}`)
else {
  t.test('tor writes the onion service, the node announces it, a peer learns it', async t => {
    ensureBuilt()
    const lab = new Lab('on')
    t.teardown(async () => lab.cleanup())
    const ns = lab.ns('tor')
    const dir = lab.tmp()
    const hs = path.join(dir, 'hs')
    const data = path.join(dir, 'data')
    fs.mkdirSync(data, { mode: 0o700 })
    const [x, y] = await Promise.all([initNode(dir, 'x'), initNode(dir, 'y')])

    // the lines `funkpost tor setup` prints, then appended to a torrc with --write
    const printed = await cli(x.home, ['tor', 'setup', '--onion-dir', hs, '--port', String(PORT), '--socks-port', String(SOCKS)])
    t.equal(printed.status, 0, `tor setup: ${printed.stderr}`)
    t.equal(printed.stdout, `HiddenServiceDir ${hs}\nHiddenServicePort ${PORT} 127.0.0.1:${PORT}\nSocksPort 127.0.0.1:${SOCKS}\n`, 'tor setup prints the three torrc lines')
    const torrc = path.join(dir, 'torrc')
    // UseBridges with a bridge on 127.0.0.1:1 keeps tor from contacting the directory authorities
    // (DisableNetwork 1 would also close the SocksPort); the namespace has only loopback anyway
    fs.writeFileSync(torrc, [`DataDirectory ${data}`, 'RunAsDaemon 0', 'Log notice stdout', 'UseBridges 1', 'Bridge 127.0.0.1:1', ''].join('\n'))
    const written = await cli(x.home, ['tor', 'setup', '--onion-dir', hs, '--port', String(PORT), '--socks-port', String(SOCKS), '--write', torrc])
    t.equal(written.status, 0, `tor setup --write: ${written.stderr}`)
    t.ok(fs.readFileSync(torrc, 'utf8').endsWith(`\nHiddenServiceDir ${hs}\nHiddenServicePort ${PORT} 127.0.0.1:${PORT}\nSocksPort 127.0.0.1:${SOCKS}\n`), '--write appends them to the torrc')

    const started = Date.now()
    const tor = lab.spawn(ns, 'tor', ['--defaults-torrc', '/dev/null', '-f', torrc])
    const host = await waitFor('tor to write hs/hostname', 30_000, async () => readOnionHostname(hs).catch(() => undefined), 100)
    await waitFor(`tor's SocksPort 127.0.0.1:${SOCKS}`, 15_000, () => lab.ss(ns, 't').some(s => s.state === 'LISTEN' && s.local === `127.0.0.1:${SOCKS}` && s.pids.includes(tor.pid)), 100)
    t.comment(`tor: hostname ${host} and SocksPort open ${Date.now() - started} ms after start`)
    for (const f of ['hostname', 'hs_ed25519_public_key', 'hs_ed25519_secret_key']) t.ok(fs.existsSync(path.join(hs, f)), `tor wrote hs/${f}`)
    t.equal(fs.statSync(hs).mode & 0o777, 0o700, 'hs is 0700')
    t.match(tor.output(), /Opened Socks listener/, 'tor logged its Socks listener')
    t.comment(tor.output().split('\n').filter(l => /Opened|Bootstrapped|onion|hidden/i.test(l)).join('\n'))

    // the node reads the hostname and announces the onion on its listen port
    const nX = await startNode(lab, ns, x.home, ['--tor-socks', `127.0.0.1:${SOCKS}`, '--onion-dir', hs, '--listen', `/ip4/127.0.0.1/tcp/${PORT}`, '--no-mdns', '--no-dht'])
    const line = await nX.waitFor(/announcing (\S+)/, 5000)
    const onionAddr = `/onion3/${host.replace(/\.onion$/, '')}:${PORT}`
    t.equal(line[1], onionAddr, `start logs "announcing ${onionAddr}"`)
    t.comment(nX.output().trim())

    const status = await cliJson<{ addrs: string[] }>(x.home, ['status'])
    t.ok(status.addrs.includes(`${onionAddr}/p2p/${x.id}`), `status --json addrs include the onion: ${status.addrs.join(' ')}`)
    const invite = await cliJson<{ addrs: string[], link: string }>(x.home, ['invite'])
    t.equal(invite.addrs[0], `${onionAddr}/p2p/${x.id}`, 'invite --json puts the onion address first')
    t.ok(invite.link.includes(encodeURIComponent(onionAddr)), 'and the invite link carries it')

    // a second node connects over loopback and learns the onion from X's ANNOUNCE (~1.5 s after connecting)
    const connectedAt = Date.now()
    await startNode(lab, ns, y.home, ['--listen', `/ip4/127.0.0.1/tcp/${PORT + 1}`, '--bootstrap', `/ip4/127.0.0.1/tcp/${PORT}/p2p/${x.id}`, '--no-mdns', '--no-dht'])
    const api = await lab.api(y.home)
    const seen = await waitFor('Y to list X with its onion address', 20_000, async () =>
      (await api.call<PeerRow[]>('peers')).find(p => p.id === x.id && p.addrs.some(a => ONION.test(a))), 100)
    t.comment(`Y listed X's onion ${Date.now() - connectedAt} ms after Y started`)
    t.ok(seen.connected, 'Y is connected to X')
    const peers = await cliJson<PeerRow[]>(y.home, ['peers'])
    const px = peers.find(p => p.id === x.id)
    t.equal(px?.name, 'x', '`peers --json` on Y: X by its announced name')
    t.ok(px?.addrs.includes(`${onionAddr}/p2p/${x.id}`), `and its announced addresses include ${onionAddr}: ${px?.addrs.join(' ')}`)

    // everything tor opened stays on loopback (the namespace has nothing else)
    const torSockets = lab.ss(ns, 't').filter(s => s.pids.includes(tor.pid))
    t.ok(torSockets.every(s => /^127\.0\.0\.1:|^\[::1\]:|^\*:|^0\.0\.0\.0:/.test(s.local)), `tor's sockets: ${torSockets.map(s => `${s.state} ${s.local}`).join(', ')}`)
  })
}
