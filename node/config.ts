/**
 * $FUNKPOST_HOME/config.json: settings that outlive one run (the node's
 * name, listen addresses, bootstrap peers, profile, Tor). Precedence:
 * flags > FUNKPOST_* environment > config.json > profile defaults.
 */
import fs from 'node:fs'
import path from 'node:path'
import { ConfigError } from './errors.js'

export const CONFIG_FILE = 'config.json'

export interface FileConfig {
  name?: string
  listen?: string[]
  bootstrap?: string[]
  mdns?: boolean
  dht?: boolean
  profile?: 'router' | 'laptop'
  torSocks?: string
  onlyTor?: boolean
  bridges?: string[]
}

export function readConfig (home: string): FileConfig {
  const file = path.join(home, CONFIG_FILE)
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch {
    return {}
  }
  try {
    const parsed = JSON.parse(text)
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object')
    return parsed as FileConfig
  } catch (err) {
    throw new ConfigError(`${file} is not valid JSON (${(err as Error).message}); fix or remove it`)
  }
}

export function writeConfig (home: string, config: FileConfig): void {
  fs.mkdirSync(home, { recursive: true, mode: 0o700 })
  const file = path.join(home, CONFIG_FILE)
  const tmp = `${file}.${process.pid}.tmp`
  fs.writeFileSync(tmp, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 })
  fs.renameSync(tmp, file)
}

export function writeName (home: string, name: string): void {
  writeConfig(home, { ...readConfig(home), name })
}
