/**
 * $FUNKPOST_HOME/config.json: settings that outlive one run, keyed as in
 * node/settings-schema.ts. Reading checks every key and value: an unknown
 * key (with the nearest known one), a wrong type or a bad value is a
 * ConfigError naming the file and the key. Writes are atomic (temp file +
 * rename) and mode 0600.
 */
import fs from 'node:fs'
import path from 'node:path'
import { ConfigError } from './errors.js'
import { closestKey, isSettingKey, problemWith, type SettingValues } from './settings-schema.js'

export const CONFIG_FILE = 'config.json'

export type FileConfig = SettingValues

export function configPath (home: string): string { return path.join(home, CONFIG_FILE) }

/** The raw JSON object of config.json ({} when there is none); not checked. */
function readRaw (home: string): Record<string, unknown> {
  const file = configPath(home)
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`)
  }
  try {
    const parsed = JSON.parse(text)
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object')
    return parsed as Record<string, unknown>
  } catch (err) {
    throw new ConfigError(`${file} is not valid JSON (${(err as Error).message}); fix or remove it`)
  }
}

/** config.json, checked against the settings schema. */
export function readConfig (home: string): FileConfig {
  const raw = readRaw(home)
  const file = configPath(home)
  for (const [key, value] of Object.entries(raw)) {
    if (!isSettingKey(key)) {
      const near = closestKey(key)
      throw new ConfigError(`${file}: unknown key "${key}"${near !== undefined ? ` (did you mean "${near}"?)` : ''}; \`funkpost config docs\` lists the keys`)
    }
    const problem = problemWith(key, value, `"${key}"`)
    if (problem !== undefined) throw new ConfigError(`${file}: ${problem}`)
  }
  return raw as FileConfig
}

export function writeConfig (home: string, config: FileConfig): void {
  fs.mkdirSync(home, { recursive: true, mode: 0o700 })
  const file = configPath(home)
  const tmp = `${file}.${process.pid}.tmp`
  fs.writeFileSync(tmp, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 })
  fs.renameSync(tmp, file)
}

export function writeName (home: string, name: string): void {
  writeConfig(home, { ...readConfig(home), name })
}
