/** `funkpost contacts`, `verify`, `block`, `unblock`, `invite`. */
import type { Argv } from 'yargs'
import { resolveHome } from '../../node/home.js'
import { makeOut, UsageError } from '../output.js'
import { withApi } from '../client.js'
import { qr, type GlobalArgs } from './identity.js'

interface ContactRow { name: string, id: string, verified: boolean }

export function contactCommands (y: Argv<GlobalArgs>): Argv<GlobalArgs> {
  return y
    .command('contacts [action] [name] [id]', 'address book: list (default), add NAME ID, rm NAME',
      (a) => a
        .positional('action', { choices: ['list', 'add', 'rm'] as const, default: 'list' as const })
        .positional('name', { type: 'string' })
        .positional('id', { type: 'string' })
        .check(argv => {
          if (argv.action === 'add' && (argv.name === undefined || argv.id === undefined)) throw new UsageError('usage: funkpost contacts add NAME ID')
          if (argv.action === 'rm' && argv.name === undefined) throw new UsageError('usage: funkpost contacts rm NAME')
          return true
        }),
      async (argv) => {
        const home = resolveHome(argv.home)
        const out = makeOut(argv.json === true)
        if (argv.action === 'list') {
          const rows = await withApi(home, async api => api.call<ContactRow[]>('contacts.list'))
          out.print(rows, () => rows.length === 0 ? 'no contacts' : rows.map(c => `${c.verified ? '✔' : ' '} ${c.name.padEnd(16)} ${c.id}`).join('\n'))
        } else if (argv.action === 'add') {
          const c = await withApi(home, async api => api.call<ContactRow & { created: boolean }>('contacts.add', { name: argv.name, id: argv.id }))
          out.print(c, () => `${c.created ? 'added' : 'already saved:'} ${c.name} ${c.id}`)
        } else {
          const c = await withApi(home, async api => api.call<ContactRow>('contacts.rm', { name: argv.name }))
          out.print(c, () => `removed ${c.name}`)
        }
      })
    .command('verify <name>', 'show the safety number to compare with NAME in person; --confirm marks them verified',
      (a) => a
        .positional('name', { type: 'string', demandOption: true })
        .option('confirm', { type: 'boolean', default: false, describe: 'the numbers matched: mark NAME verified' }),
      async (argv) => {
        const r = await withApi(resolveHome(argv.home), async api => api.call('verify', { name: argv.name, confirm: argv.confirm }))
        makeOut(argv.json === true).print(r, () => `safety number with ${r.name}:\n  ${r.safetyNumber}\n  ${r.words}\n` +
          (r.verified === true ? `${r.name} is verified ✔` : `compare it with ${r.name}; if it matches, run \`funkpost verify ${r.name} --confirm\``))
      })
    .command('block <target>', 'drop all mail from a contact or id',
      (a) => a.positional('target', { type: 'string', demandOption: true }),
      async (argv) => {
        const r = await withApi(resolveHome(argv.home), async api => api.call('block', { target: argv.target }))
        makeOut(argv.json === true).print(r, () => `blocked ${r.name ?? r.blocked}`)
      })
    .command('unblock <target>', 'accept mail from a contact or id again',
      (a) => a.positional('target', { type: 'string', demandOption: true }),
      async (argv) => {
        const r = await withApi(resolveHome(argv.home), async api => api.call('unblock', { target: argv.target }))
        makeOut(argv.json === true).print(r, () => `unblocked ${r.name ?? r.unblocked}`)
      })
    .command('invite [action] [link]', 'print an invite link and QR code; `invite accept LINK` adds the contact and connects',
      (a) => a
        .positional('action', { choices: ['show', 'accept'] as const, default: 'show' as const })
        .positional('link', { type: 'string' })
        .option('name', { type: 'string', describe: 'with accept: save the contact under this name' })
        .check(argv => {
          if (argv.action === 'accept' && argv.link === undefined) throw new UsageError('usage: funkpost invite accept LINK')
          return true
        }),
      async (argv) => {
        const home = resolveHome(argv.home)
        const out = makeOut(argv.json === true)
        if (argv.action === 'accept') {
          const r = await withApi(home, async api => api.call('invite.accept', { link: argv.link, name: argv.name }))
          out.print(r, () => `${r.created === true ? 'added' : 'already saved:'} ${r.contact.name} ${r.contact.id}` +
            (r.dialled.length > 0 ? `\nconnected via ${r.dialled[0]}` : r.online === true ? (r.errors.length > 0 ? `\ncould not connect yet: ${r.errors[0]}` : '') : '\n(no node running: it connects when `funkpost start` runs)'))
        } else {
          const r = await withApi(home, async api => api.call('invite'))
          const code = argv.json === true ? '' : await qr(r.link)
          out.print(r, () => `${r.link}\n${code}`)
        }
      })
}
