/** `funkpost config show|get|set|unset|docs`: the settings of node/settings-schema.ts in config.json. */
import type { Argv } from 'yargs'
import { resolveHome } from '../../node/home.js'
import { readConfig, writeConfig, configPath } from '../../node/config.js'
import { fromEnv, isSettingKey, closestKey, parseText, problemWith, settingsMarkdown, spec, SETTING_KEYS, type SettingKey, type SettingValues } from '../../node/settings-schema.js'
import { probe, socketPath } from '../../node/control.js'
import { ConfigError } from '../../node/errors.js'
import { makeOut, UsageError } from '../output.js'
import type { GlobalArgs } from './identity.js'

interface Row { key: SettingKey, value: unknown, source: 'environment' | 'config.json' | 'default', default: string, doc: string }

function keyArg (k: string | undefined): SettingKey {
  if (k === undefined || k === '') throw new UsageError('name a setting; `funkpost config show` lists them')
  if (isSettingKey(k)) return k
  const near = closestKey(k)
  throw new ConfigError(`unknown setting "${k}"${near !== undefined ? ` (did you mean "${near}"?)` : ''}; \`funkpost config show\` lists them`)
}

/** Each setting's effective value for a command run now (no flags) and where it comes from. */
function rows (home: string): Row[] {
  const env = fromEnvChecked()
  const file = readConfig(home)
  return SETTING_KEYS.map(key => {
    const s = spec(key)
    const source = env[key] !== undefined ? 'environment' : file[key] !== undefined ? 'config.json' : 'default'
    return { key, value: env[key] ?? file[key] ?? null, source, default: s.shown, doc: s.doc }
  })
}

function fromEnvChecked (): SettingValues {
  try { return fromEnv(process.env) } catch (err) { throw new ConfigError((err as Error).message) }
}

function show (v: unknown): string {
  if (v === null || v === undefined) return ''
  return Array.isArray(v) ? v.join(' ') : String(v)
}

async function restartNote (home: string): Promise<string> {
  return await probe(socketPath(home)) ? ' (the running node uses it after a restart)' : ''
}

export function configCommands (y: Argv<GlobalArgs>): Argv<GlobalArgs> {
  return y.command('config <action> [key] [value..]', 'settings in config.json: show, get KEY, set KEY VALUE, unset KEY, docs',
    (a) => a
      .positional('action', { choices: ['show', 'get', 'set', 'unset', 'docs'] as const, describe: 'what to do' })
      .positional('key', { type: 'string', describe: 'a setting (config.json name, e.g. quotaMb)' })
      .positional('value', { type: 'string', array: true, describe: 'the new value; a list takes several' })
      .example('$0 config set profile router', '')
      .example('$0 config set bootstrap /ip4/10.0.0.1/tcp/7337/p2p/12D3KooW…', '')
      .example('$0 config show --json', ''),
    async (argv) => {
      const home = resolveHome(argv.home)
      const out = makeOut(argv.json === true)
      switch (argv.action) {
        case 'docs':
          out.print({ markdown: settingsMarkdown() }, () => settingsMarkdown().trimEnd())
          return
        case 'show': {
          const list = rows(home)
          out.print(list, () => list.map(r => `${r.key.padEnd(10)} ${r.source === 'default' ? `${r.default}`.padEnd(44) + ' (default)' : show(r.value).padEnd(44) + ` (${r.source})`}`).join('\n'))
          return
        }
        case 'get': {
          const key = keyArg(argv.key)
          const r = rows(home).find(x => x.key === key) as Row
          out.print(r, () => r.source === 'default' ? `${r.default} (default)` : show(r.value))
          return
        }
        case 'set': {
          const key = keyArg(argv.key)
          const words = (argv.value ?? []).map(String)
          if (words.length === 0) throw new UsageError(`give a value: funkpost config set ${key} VALUE`)
          let value: unknown
          try {
            value = spec(key).type === 'list' ? words.flatMap(w => w.split(/[,\s]+/)).filter(Boolean) : parseText(key, words.join(' '))
            const problem = problemWith(key, value)
            if (problem !== undefined) throw new Error(problem)
          } catch (err) {
            throw new ConfigError((err as Error).message)
          }
          writeConfig(home, { ...readConfig(home), [key]: value })
          const note = await restartNote(home)
          out.print({ key, value, file: configPath(home) }, () => `${key} = ${show(value)} in ${configPath(home)}${note}`)
          return
        }
        case 'unset': {
          const key = keyArg(argv.key)
          const config: Record<string, unknown> = { ...readConfig(home) }
          const had = key in config
          delete config[key]
          writeConfig(home, config as SettingValues)
          const note = had ? await restartNote(home) : ''
          out.print({ key, removed: had, file: configPath(home) }, () => had ? `${key} removed from ${configPath(home)}; default ${spec(key).shown}${note}` : `${key} was not set in ${configPath(home)}`)
        }
      }
    })
}
