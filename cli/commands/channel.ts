/** `funkpost channel …`: public channels by name, private ones by invite. */
import type { Argv } from 'yargs'
import { resolveHome } from '../../node/home.js'
import { makeOut, UsageError } from '../output.js'
import { withApi } from '../client.js'
import { qr, type GlobalArgs } from './identity.js'

interface ChannelRow { name: string, id: string, kind: string, owner?: string, members: number }

export function channelCommands (y: Argv<GlobalArgs>): Argv<GlobalArgs> {
  return y.command('channel <action> [name] [rest..]', 'group channels: join NAME|LINK, create NAME, leave NAME, list, send NAME TEXT, read NAME, invite NAME, remove NAME MEMBER, lifetime NAME DURATION, mute NAME MEMBER',
    (a) => a
      .positional('action', { choices: ['join', 'create', 'leave', 'list', 'send', 'read', 'invite', 'remove', 'lifetime', 'mute', 'unmute'] as const })
      .positional('name', { type: 'string', describe: '#public-name, a private channel name, or an invite link (join)' })
      .positional('rest', { type: 'string', array: true })
      .option('limit', { type: 'number', describe: 'read: only the last N posts' })
      .option('since', { type: 'string', describe: 'read: only since (ISO time, ms, or 30m/2h/7d ago)' })
      .example('$0 channel join "#freifunk-berlin"', '')
      .example('$0 channel send "#freifunk-berlin" "router meetup on friday"', '')
      .example('$0 channel create orga && $0 channel invite orga', '')
      .check(argv => {
        const needName = argv.action !== 'list'
        if (needName && argv.name === undefined) throw new UsageError(`usage: funkpost channel ${argv.action} NAME`)
        if (['send', 'remove', 'lifetime', 'mute', 'unmute'].includes(argv.action as string) && (argv.rest === undefined || argv.rest.length === 0)) {
          throw new UsageError(`usage: funkpost channel ${argv.action} NAME ${argv.action === 'send' ? 'TEXT' : argv.action === 'lifetime' ? 'DURATION' : 'MEMBER'}`)
        }
        return true
      }),
    async (argv) => {
      const out = makeOut(argv.json === true)
      const rest = (argv.rest ?? []).join(' ')
      const home = resolveHome(argv.home)
      const call = async (m: string, p: Record<string, unknown>): Promise<any> => withApi(home, async api => api.call(m, p)) // eslint-disable-line @typescript-eslint/no-explicit-any
      switch (argv.action) {
        case 'join': { const r = await call('channel.join', { target: argv.name }); out.print(r, () => `joined ${r.name}`); break }
        case 'create': { const r = await call('channel.create', { name: argv.name }); out.print(r, () => `created private channel ${r.name}; invite people with \`funkpost channel invite ${r.name}\``); break }
        case 'leave': { const r = await call('channel.leave', { name: argv.name }); out.print(r, () => `left ${r.left}`); break }
        case 'list': {
          const rows: ChannelRow[] = await call('channel.list', {})
          out.print(rows, () => rows.length === 0 ? 'no channels; join one with `funkpost channel join "#name"`' : rows.map(c => `${c.name.padEnd(24)} ${c.kind}${c.members > 0 ? `  ${c.members} members seen` : ''}`).join('\n'))
          break
        }
        case 'send': { const r = await call('channel.send', { name: argv.name, text: rest }); out.print({ id: r.id }, () => r.id); break }
        case 'read': {
          const rows: Array<{ id: string, from: string, text: string, at: string }> = await call('channel.read', { name: argv.name, limit: argv.limit, since: argv.since })
          out.print(rows, () => rows.length === 0 ? 'no posts' : rows.map(r => `${r.at.slice(0, 16).replace('T', ' ')}  ${r.from.slice(-8)}  ${r.text}`).join('\n'))
          break
        }
        case 'invite': {
          const r = await call('channel.invite', { name: argv.name })
          const code = argv.json === true ? '' : await qr(r.link)
          out.print(r, () => `${r.link}\n${code}`)
          break
        }
        case 'remove': { const r = await call('channel.remove', { name: argv.name, member: rest }); out.print(r, () => `removed ${r.removed} from ${r.channel}; new key (epoch ${r.epoch}) sent to ${r.notified} members`); break }
        case 'lifetime': { const r = await call('channel.lifetime', { name: argv.name, duration: rest }); out.print(r, () => r.lifetimeMs === 0 ? `${r.channel}: default message lifetime` : `${r.channel}: new posts disappear after ${rest}`); break }
        case 'mute': case 'unmute': { const r = await call('channel.mute', { name: argv.name, member: rest, off: argv.action === 'unmute' }); out.print(r, () => `${r.muted === true ? 'muted' : 'unmuted'} ${r.member} in ${r.channel}`); break }
      }
    })
}
