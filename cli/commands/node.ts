/** `funkpost start`, `status`, `peers`. */
import type { Argv } from 'yargs'
import { resolveHome } from '../../node/home.js'
import { runDaemon, stopOnSignals } from '../../node/daemon.js'
import { makeOut } from '../output.js'
import { logger } from '../../node/log.js'
import { yargsOptions, fromFlags } from '../../node/settings-schema.js'
import { withApi, stopDaemon } from '../client.js'
import type { HeldReport, HeldGroup } from '../../node/api-held.js'
import type { GlobalArgs } from './identity.js'

/** The flags of `start` and `chat`: one per setting (node/settings-schema.ts). */
export function startOptions<T> (a: Argv<T>): Argv<T> {
  return a.options(yargsOptions()) as unknown as Argv<T>
}

export function nodeCommands (y: Argv<GlobalArgs>): Argv<GlobalArgs> {
  return y
    .command('start', 'run the node in the foreground (relay, store-and-forward, control socket)',
      (a) => startOptions(a).example('$0 start --profile router --bootstrap /ip4/10.0.0.1/tcp/7337/p2p/12D3KooW…', ''),
      async (argv) => {
        const home = resolveHome(argv.home)
        // A daemon's log is its standard output (procd and systemd collect it); errors that end it go to stderr.
        const d = await runDaemon({ home, ...fromFlags(argv), logSink: (line) => { process.stdout.write(line + '\n') } })
        const log = logger('node:daemon')
        d.node.on('peer:join', e => log.info('peer joined %s', e.id))
        d.node.on('peer:leave', e => log.info('peer left %s', e.id))
        stopOnSignals(d.stop)
        await d.stopped // until a signal or `funkpost stop`
        process.exit(0)
      })
    .command('stop', 'stop the node running for this home (clean shutdown through its control socket)',
      (a) => a.option('timeout', { type: 'number', default: 20, describe: 'seconds to wait for it to finish' }),
      async (argv) => {
        const home = resolveHome(argv.home)
        const r = await stopDaemon(home, argv.timeout * 1000)
        makeOut(argv.json === true).print({ stopped: true, id: r.id }, () => `stopped ${r.id}`)
      })
    .command('status', 'this node: id, state, addresses, peers, custody, outbox, counters (the same in text and --json)',
      (a) => a,
      async (argv) => {
        const s = await withApi(resolveHome(argv.home), async api => api.call('status'))
        const counts = (o: Record<string, number> | undefined): string => {
          const list = Object.entries(o ?? {}).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`)
          return list.length > 0 ? list.join(', ') : 'none'
        }
        const value = {
          id: s.id, name: s.name, addrs: s.addrs, peers: s.peers, custody: s.custody, outbox: s.outbox,
          online: s.online, profile: s.profile, store: s.store, received: s.received, gossip: s.gossip, sync: s.sync, duplicate: s.duplicate
        }
        makeOut(argv.json === true).print(value, () => [
          `id:        ${s.id}${s.name !== '' ? ` (${s.name})` : ''}`,
          `state:     ${s.online === true ? 'running' : 'not running (start it with `funkpost start`)'}`,
          `profile:   ${s.profile}`,
          `peers:     ${s.peers}`,
          `custody:   ${s.custody.count} envelopes, ${fmtBytes(s.custody.bytes)} held for others, ACKs included (\`funkpost held\` breaks it down)`,
          `outbox:    ${s.outbox.count} own envelopes waiting for their ACK`,
          `store:     ${s.store.count} envelopes, ${fmtBytes(s.store.bytes)}; ${s.store.tombstones} tombstones; ${s.store.evicted} evicted`,
          `received:  ${counts(s.received)}`,
          `gossip:    valid ${s.gossip.valid}, duplicate ${s.gossip.duplicate}; invalid: ${counts(s.gossip.invalid)}; ignored: ${counts(s.gossip.ignored)}`,
          ...(s.sync !== undefined ? [`sync:      ${s.sync.sessions} sessions (${s.sync.failed} failed), ${s.sync.envelopesIn} envelopes in, ${s.sync.envelopesOut} out, ${fmtBytes(s.sync.bytesIn)} in, ${fmtBytes(s.sync.bytesOut)} out`] : []),
          ...s.addrs.map((a: string) => `address:   ${a}`),
          ...(s.duplicate !== undefined ? [`WARNING:   another node uses this identity (announced ${new Date(s.duplicate.at).toISOString()} from ${s.duplicate.addrs.join(' ') || 'an unknown address'}); mail is split between the two — stop one`] : [])
        ].join('\n'))
      })
    .command('held', 'what this node holds for others (custody): mail by recipient and author, ACKs and channel posts apart',
      (a) => a.option('limit', { type: 'number', default: 10, describe: 'recipients and authors listed, at most' }),
      async (argv) => {
        const r = await withApi(resolveHome(argv.home), async api => api.call<HeldReport>('held', { limit: argv.limit }))
        const rows = (title: string, list: HeldGroup[]): string[] => list.length === 0
          ? []
          : [title, ...list.map(g => `  ${(g.name !== '' ? g.name : '…' + g.id.slice(-12)).padEnd(16)} ${String(g.count).padStart(6)}  ${fmtBytes(g.bytes)}`)]
        makeOut(argv.json === true).print(r, () => [
          `mail:       ${r.mail.count} envelopes, ${fmtBytes(r.mail.bytes)}`,
          `ACKs:       ${r.acks.count} (${fmtBytes(r.acks.bytes)}), held to tell other holders a message was delivered`,
          `channels:   ${r.channels.count} posts, ${fmtBytes(r.channels.bytes)}`,
          `priority:   ${r.byPriority.critical} critical, ${r.byPriority.normal} normal, ${r.byPriority.low} low`,
          `tombstones: ${r.tombstones}`,
          ...rows('for recipients:', r.byRecipient),
          ...rows('from authors:', r.byAuthor)
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
