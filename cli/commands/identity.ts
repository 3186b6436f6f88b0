/** `funkpost init` and `funkpost id`. */
import type { Argv } from 'yargs'
import qrcode from 'qrcode-terminal'
import { createIdentity, loadIdentity, identityPath } from '../../node/identity.js'
import { fingerprint } from '../../mesh/ids.js'
import { resolveHome } from '../../node/home.js'
import { makeOut } from '../output.js'
import { writeName } from '../../node/config.js'

export interface GlobalArgs { home?: string, json?: boolean }

export function qr (text: string): Promise<string> {
  return new Promise(resolve => qrcode.generate(text, { small: true }, resolve))
}

export function identityCommands (y: Argv<GlobalArgs>): Argv<GlobalArgs> {
  return y
    .command('init', 'create this node\'s identity key (Ed25519, mode 0600) in the home folder',
      (a) => a
        .option('name', { type: 'string', describe: 'a name others see in `peers` (announced, not secret)' })
        .option('force', { type: 'boolean', default: false, describe: 'replace an existing key (the old id is lost)' }),
      (argv) => {
        const home = resolveHome(argv.home)
        const identity = createIdentity(home, { force: argv.force })
        if (argv.name !== undefined) writeName(home, argv.name)
        makeOut(argv.json === true).print({ id: identity.id, home, key: identityPath(home) },
          () => `created ${identityPath(home)}\nid: ${identity.id}`)
      })
    .command('id', 'print this node\'s id, its fingerprint and a QR code of the id',
      (a) => a,
      async (argv) => {
        const home = resolveHome(argv.home)
        const identity = loadIdentity(home)
        const fp = fingerprint(identity.publicKey)
        const code = argv.json === true ? '' : await qr(identity.id)
        makeOut(argv.json === true).print({ id: identity.id, fingerprint: fp.digits, words: fp.words },
          () => `id:          ${identity.id}\nfingerprint: ${fp.digits}\n             ${fp.words}\n${code}`)
      })
}
