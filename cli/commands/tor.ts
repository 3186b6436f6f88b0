/** `funkpost tor setup [--write]`: the torrc lines for this node's onion service. */
import type { Argv } from 'yargs'
import fs from 'node:fs'
import { torrcLines, DEFAULT_SOCKS_PORT } from '../../transports/index.js'
import { DEFAULT_ONION_DIR } from '../../node/settings.js'
import { DEFAULT_PORT } from '../../node/profiles.js'
import { makeOut } from '../output.js'
import type { GlobalArgs } from './identity.js'

export function torCommands (y: Argv<GlobalArgs>): Argv<GlobalArgs> {
  return y.command('tor <action>', 'Tor bridging: `tor setup` prints the torrc lines of an onion service for this node',
    (a) => a
      .positional('action', { choices: ['setup'] as const })
      .option('onion-dir', { type: 'string', default: DEFAULT_ONION_DIR, describe: 'HiddenServiceDir (tor writes the onion hostname there)' })
      .option('port', { type: 'number', default: DEFAULT_PORT, describe: 'the node\'s TCP port on 127.0.0.1' })
      .option('socks-port', { type: 'number', describe: 'also open a SocksPort on 127.0.0.1' })
      .option('write', { type: 'string', describe: 'append the lines to this torrc file instead of printing them' }),
    async (argv) => {
      const text = torrcLines({ hiddenServiceDir: argv['onion-dir'], virtualPort: argv.port, targetPort: argv.port, socksPort: argv['socks-port'] })
      const out = makeOut(argv.json === true)
      if (argv.write !== undefined) {
        fs.appendFileSync(argv.write, `\n# funkpost onion service\n${text}`)
        out.print({ written: argv.write, torrc: text }, () => `appended to ${argv.write}:\n${text}\nreload tor, then start funkpost with --tor-socks 127.0.0.1:${argv['socks-port'] ?? DEFAULT_SOCKS_PORT} --listen /ip4/127.0.0.1/tcp/${argv.port} (it announces the onion from ${argv['onion-dir']}/hostname)`)
      } else {
        out.print({ torrc: text }, () => text.trimEnd())
      }
    })
}
