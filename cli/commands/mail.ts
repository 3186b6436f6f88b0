/** `funkpost send`, `inbox`, `outbox`. */
import type { Argv } from 'yargs'
import { resolveHome } from '../../node/home.js'
import { makeOut, UsageError } from '../output.js'
import { withApi } from '../client.js'
import type { GlobalArgs } from './identity.js'

export const STATUS_MARK: Record<string, string> = { queued: '…', sent: '✓', delivered: '✓✓', read: '✓✓ read', received: '' }

interface Row { id: string, from: string, text: string, at: string, status: string }

export function mailCommands (y: Argv<GlobalArgs>): Argv<GlobalArgs> {
  return y
    .command('send <to> <text..>', 'send a direct message (end-to-end encrypted); TO is a contact name or an id',
      (a) => a
        .positional('to', { type: 'string', describe: 'contact name or id (12D3KooW…)', demandOption: true })
        .positional('text', { type: 'string', array: true, describe: 'the message', demandOption: true })
        .example('$0 send alice "see you at the meetup"', ''),
      async (argv) => {
        const text = requireText((argv.text as string[]).join(' '), 'the message text')
        const r = await withApi(resolveHome(argv.home), async api => ({ ...await api.call('send', { to: argv.to, text }), mode: api.mode }))
        makeOut(argv.json === true).print({ id: r.id }, () => r.mode === 'offline'
          ? `${r.id}\n(queued: no node is running for this home; it leaves when \`funkpost start\` or \`funkpost chat\` runs)`
          : r.id)
      })
    .command('inbox', 'messages received, oldest first',
      (a) => a
        .option('from', { type: 'string', describe: 'only from this contact or id' })
        .option('since', { type: 'string', describe: 'only since: ISO time, ms, or a duration ago (30m, 2h, 7d)' })
        .option('limit', { type: 'number', describe: 'only the last N' }),
      async (argv) => {
        const [rows, names] = await withApi(resolveHome(argv.home), async api => {
          const rows = await api.call<Row[]>('inbox', { from: argv.from, since: argv.since, limit: argv.limit })
          // For people: the sender's contact name where there is one, else the end of the id.
          const names = argv.json === true ? new Map<string, string>() : new Map((await api.call<Array<{ name: string, id: string }>>('contacts.list')).map(c => [c.id, c.name]))
          return [rows, names] as const
        })
        makeOut(argv.json === true).print(rows, () => rows.length === 0 ? 'no messages' : rows.map(r => `${r.at.slice(0, 16).replace('T', ' ')}  ${(names.get(r.from) ?? '…' + r.from.slice(-8)).padEnd(10)}  ${r.text}`).join('\n'))
      })
    .command('outbox [action]', 'own mail not yet delivered: list (default), flush (send now), clear (discard)',
      (a) => a.positional('action', { choices: ['list', 'flush', 'clear'] as const, default: 'list' as const }),
      async (argv) => {
        const method = `outbox.${argv.action}`
        const r = await withApi(resolveHome(argv.home), async api => api.call(method))
        const out = makeOut(argv.json === true)
        if (argv.action === 'list') {
          out.print(r, () => r.length === 0 ? 'outbox is empty' : r.map((e: { id: string, to: string, priority: string, attempts: number, status: string }) =>
            `${e.id.slice(0, 16)}  to ${e.to.slice(-8)}  ${e.priority}  ${e.status}  ${e.attempts} attempts`).join('\n'))
        } else if (argv.action === 'flush') {
          out.print(r, () => `sent ${r.flushed} entries; ${r.left} still waiting for their ACK`)
        } else {
          out.print(r, () => `discarded ${r.cleared} entries`)
        }
      })
}

export function requireText (s: string | undefined, what: string): string {
  if (s === undefined || s.trim() === '') throw new UsageError(`${what} is missing`)
  return s
}
