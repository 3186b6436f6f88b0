/**
 * cli/: the `funkpost` command. yargs commands, output formatting and the
 * chat REPL; talks to a running node through node/'s control client or
 * embeds one. May import node/ and, for pure helpers, mesh/.
 */
import '../node/polyfill.js'
import yargs from 'yargs'
import { hideBin } from 'yargs/helpers'
import { identityCommands, type GlobalArgs } from './commands/identity.js'
import { nodeCommands } from './commands/node.js'
import { mailCommands } from './commands/mail.js'
import { contactCommands } from './commands/contacts.js'
import { chatCommands } from './commands/chat.js'
import { torCommands } from './commands/tor.js'
import { channelCommands } from './commands/channel.js'
import { configCommands } from './commands/config.js'
import { identityFileCommands } from './commands/identity-file.js'
import { fail, UsageError } from './output.js'
// Inlined by esbuild: the bundle has no package.json beside it once installed (OpenWrt, a bin link elsewhere).
import pkg from '../package.json' with { type: 'json' }

export async function main (argv: string[]): Promise<void> {
  const json = argv.includes('--json')
  let y = yargs(argv)
    .scriptName('funkpost')
    .usage('funkpost — offline-first mesh messenger\n\nUsage: $0 <command> [options]')
    .option('home', { type: 'string', describe: 'node folder (default $FUNKPOST_HOME, else ~/.funkpost)', global: true })
    .option('json', { type: 'boolean', describe: 'machine-readable output', global: true }) as unknown as import('yargs').Argv<GlobalArgs>
  for (const add of [identityCommands, identityFileCommands, nodeCommands, mailCommands, contactCommands, chatCommands, channelCommands, configCommands, torCommands]) y = add(y)
  await y
    .completion('completion', 'print a bash/zsh completion script: `funkpost completion >> ~/.bashrc`')
    .demandCommand(1, 'name a command; `funkpost --help` lists them')
    .strict()
    .recommendCommands()
    .fail((msg, err) => {
      if (err !== undefined && err !== null) fail(err, json)
      // yargs spreads some messages ("Invalid values:\n  Argument: …") over lines; the contract is one line.
      const line = String(msg).replace(/\s*\n\s*/g, ' ')
      fail(new UsageError(line.includes('--help') ? line : `${line} (see \`funkpost --help\`)`), json)
    })
    .help()
    .version(pkg.version)
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .parseAsync()
}

main(hideBin(process.argv)).catch(err => fail(err, process.argv.includes('--json')))
