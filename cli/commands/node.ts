/** `funkpost start`, `status`, `peers`. */
import type { Argv } from 'yargs'
import { resolveHome } from '../../node/home.js'
import { runDaemon, stopOnSignals } from '../../node/daemon.js'
import { makeOut } from '../output.js'
import { withApi } from '../client.js'
import type { GlobalArgs } from './identity.js'

export function startOptions<T> (a: Argv<T>) {
  return a
    .option('name', { type: 'string', describe: 'name announced to others (saved by `init --name`)' })
    .option('listen', { type: 'string', array: true, describe: 'multiaddr to listen on (repeat); default /ip4/0.0.0.0/tcp/7337 and /ip6/::/tcp/7337' })
    .option('bootstrap', { type: 'string', array: true, describe: 'multiaddr of a peer to connect to and keep connected (repeat)' })
    .option('mdns', { type: 'boolean', describe: 'find peers on the LAN by mDNS (--no-mdns to turn off)' })
    .option('dht', { type: 'boolean', describe: 'join the private funkpost DHT to find peers by id (--no-dht to turn off)' })
    .option('profile', { choices: ['router', 'laptop'] as const, describe: 'resource profile: quotas and connection limits (default laptop)' })
    .option('quota-mb', { type: 'number', describe: 'custody quota in MiB (mail held for others); overrides the profile' })
    .option('tor-socks', { type: 'string', describe: 'SOCKS5 port of a local tor, HOST:PORT (e.g. 127.0.0.1:9050): dial /onion3 addresses' })
    .option('only-tor', { type: 'boolean', describe: 'every outbound connection through Tor; no clear-net dials, no mDNS' })
    .option('bridge', { type: 'string', array: true, describe: 'multiaddr of a peer on another island to keep connected, e.g. /onion3/…:7337/p2p/ID (repeat)' })
    .option('onion-dir', { type: 'string', describe: 'tor HiddenServiceDir whose hostname file holds this node\'s onion (default /var/lib/tor/funkpost)' })
}

export function nodeCommands (y: Argv<GlobalArgs>): Argv<GlobalArgs> {
  return y
    .command('start', 'run the node in the foreground (relay, store-and-forward, control socket)',
      (a) => startOptions(a).example('$0 start --profile router --bootstrap /ip4/10.0.0.1/tcp/7337/p2p/12D3KooW…', ''),
      async (argv) => {
        const home = resolveHome(argv.home)
        const log = (s: string): void => { process.stdout.write(`${new Date().toISOString()} ${s}\n`) }
        const d = await runDaemon({
          home, name: argv.name, listen: argv.listen, bootstrap: argv.bootstrap, mdns: argv.mdns, dht: argv.dht,
          profile: argv.profile, quotaMb: argv['quota-mb'], torSocks: argv['tor-socks'], onlyTor: argv['only-tor'],
          bridge: argv.bridge, onionDir: argv['onion-dir'], log
        })
        d.node.on('peer:join', e => log(`peer joined ${e.id}`))
        d.node.on('peer:leave', e => log(`peer left ${e.id}`))
        stopOnSignals(d.stop, log)
        await new Promise(() => {}) // runs until a signal
      })
    .command('status', 'this node: id, addresses, peers, custody and outbox',
      (a) => a,
      async (argv) => {
        const s = await withApi(resolveHome(argv.home), async api => api.call('status'))
        makeOut(argv.json === true).print({
          id: s.id, name: s.name, addrs: s.addrs, peers: s.peers, custody: s.custody, outbox: s.outbox,
          online: s.online, profile: s.profile, store: s.store, received: s.received, gossip: s.gossip
        }, () => [
          `id:       ${s.id}${s.name !== '' ? ` (${s.name})` : ''}`,
          `state:    ${s.online === true ? 'running' : 'not running (start it with `funkpost start`)'}`,
          `profile:  ${s.profile}`,
          `peers:    ${s.peers}`,
          `custody:  ${s.custody.count} envelopes, ${fmtBytes(s.custody.bytes)}`,
          `outbox:   ${s.outbox.count}`,
          ...s.addrs.map((a: string) => `address:  ${a}`)
        ].join('\n'))
      })
    .command('peers', 'nodes this node is connected to or has seen announced',
      (a) => a,
      async (argv) => {
        const peers = await withApi(resolveHome(argv.home), async api => api.call('peers'))
        makeOut(argv.json === true).print(peers, () => peers.length === 0
          ? 'no peers yet'
          : peers.map((p: { id: string, name: string, addrs: string[], connected: boolean }) =>
            `${p.connected ? '●' : '○'} ${p.id}${p.name !== '' ? ` ${p.name}` : ''}${p.addrs.length > 0 ? `\n    ${p.addrs.slice(0, 3).join('\n    ')}` : ''}`).join('\n'))
      })
}

export function fmtBytes (n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`
  return `${(n / 1024 / 1024).toFixed(1)} MiB`
}
