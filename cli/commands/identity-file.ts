/** `funkpost identity export FILE` and `funkpost identity import FILE`: move an identity (key + contacts) between machines. */
import type { Argv } from 'yargs'
import { resolveHome } from '../../node/home.js'
import { loadIdentity } from '../../node/identity.js'
import { readConfig, writeName } from '../../node/config.js'
import { writeIdentityExport, readIdentityExport, installIdentity } from '../../node/identity-export.js'
import { withApi } from '../client.js'
import { readPassphrase } from '../passphrase.js'
import { makeOut } from '../output.js'
import type { GlobalArgs } from './identity.js'

export function identityFileCommands (y: Argv<GlobalArgs>): Argv<GlobalArgs> {
  return y.command('identity <action> <file>', 'move this identity: `export FILE` seals the key and contacts with a passphrase; `import FILE` restores them into a home',
    (a) => a
      .positional('action', { choices: ['export', 'import'] as const })
      .positional('file', { type: 'string', demandOption: true, describe: 'the sealed file (mode 0600)' })
      .option('passphrase-file', { type: 'string', describe: 'read the passphrase from the first line of this file (else FUNKPOST_PASSPHRASE, else a prompt)' })
      .option('force', { type: 'boolean', default: false, describe: 'export: replace an existing file' })
      .example('$0 identity export /media/usb/alice.funkpost', '')
      .example('$0 --home ~/.funkpost identity import /media/usb/alice.funkpost', ''),
    async (argv) => {
      const home = resolveHome(argv.home)
      const out = makeOut(argv.json === true)
      const file = argv.file as string
      if (argv.action === 'export') {
        const identity = loadIdentity(home)
        const contacts = await withApi(home, async api => api.call<Array<{ name: string, id: string, verified: boolean }>>('contacts.list'))
        const passphrase = await readPassphrase({ file: argv['passphrase-file'], confirm: true })
        await writeIdentityExport(file, identity, readConfig(home).name ?? '', contacts, passphrase, argv.force)
        out.print({ file, id: identity.id, contacts: contacts.length },
          () => `wrote ${file} (id ${identity.id}, ${contacts.length} contacts)\nkeep it safe; run only ONE node with this identity at a time (stop this one before the other starts)`)
        return
      }
      const passphrase = await readPassphrase({ file: argv['passphrase-file'] })
      const imported = await readIdentityExport(file, passphrase)
      const wrote = installIdentity(home, imported.identity)
      if (wrote && imported.name !== '' && readConfig(home).name === undefined) writeName(home, imported.name)
      let added = 0
      await withApi(home, async api => {
        const known = new Set((await api.call<Array<{ name: string }>>('contacts.list')).map(c => c.name))
        for (const c of imported.contacts) {
          if (known.has(c.name)) continue
          await api.call('contacts.add', { name: c.name, id: c.id })
          if (c.verified) await api.call('verify', { name: c.name, confirm: true })
          added++
        }
      })
      out.print({ id: imported.identity.id, home, created: wrote, contacts: added },
        () => `${wrote ? 'imported' : 'already here:'} ${imported.identity.id} into ${home}; ${added} contacts added\nrun only ONE node with this identity at a time: stop the old one before starting this one`)
    })
}
