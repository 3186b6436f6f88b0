/** `funkpost chat [NAME]`: the positional is `contact`, so `--name` stays the embedded node's announced name. */
import type { Argv } from 'yargs'
import { resolveHome } from '../../node/home.js'
import { runChat } from '../chat.js'
import { startOptions } from './node.js'
import { fromFlags } from '../../node/settings-schema.js'
import type { GlobalArgs } from './identity.js'

export function chatCommands (y: Argv<GlobalArgs>): Argv<GlobalArgs> {
  return y.command('chat [contact]', 'interactive chat; starts a node on this home if none is running (first run creates your id)',
    (a) => startOptions(a).positional('contact', { type: 'string', describe: 'contact name or id to talk to (NAME)' }),
    async (argv) => {
      await runChat({ home: resolveHome(argv.home), with: argv.contact, ...fromFlags(argv) })
    })
}
