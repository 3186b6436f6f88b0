/**
 * The torrc lines a funkpost bridge needs (an onion service forwarding to the
 * node's loopback TCP listener, optionally a SocksPort), and reading the
 * onion name tor writes to `<HiddenServiceDir>/hostname`.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { onionFromHostnameFile } from './onion.js'

/** Port the onion service is reached on, and the node listens on locally (the node's default port, node/profiles.ts). */
export const DEFAULT_ONION_PORT = 7337
/** tor's default SocksPort. */
export const DEFAULT_SOCKS_PORT = 9050

export interface TorrcInit {
  /** Absolute path; tor creates it (mode 0700) and writes `hostname` there. */
  hiddenServiceDir: string
  /** Port in the onion address: `/onion3/<name>:<virtualPort>`. */
  virtualPort: number
  /** Where tor forwards onion connections; loopback only. @default '127.0.0.1' */
  targetHost?: string
  /** The node's TCP listen port on `targetHost`. */
  targetPort: number
  /** Emit `SocksPort 127.0.0.1:<socksPort>`; omit to leave tor's default. */
  socksPort?: number
}

export class TorrcError extends Error {
  static override readonly name = 'TorrcError'
  override readonly name = 'TorrcError'
}

function checkPort (what: string, port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TorrcError(`${what} must be an integer in 1..65535, got ${port}`)
  }
}

function checkPathValue (what: string, value: string): void {
  // torrc has no escaping worth trusting: a newline would inject a directive
  if (value === '' || /[\r\n\0]/.test(value)) throw new TorrcError(`${what} must be a non-empty single line`)
}

/**
 * The torrc text (newline-terminated lines) for a funkpost onion service:
 *
 *   HiddenServiceDir /var/lib/tor/funkpost
 *   HiddenServicePort 7337 127.0.0.1:7337
 *   SocksPort 127.0.0.1:9050        (only if socksPort is given)
 *
 * v3 is tor's only onion service version since 0.4.6, so no
 * HiddenServiceVersion line is needed.
 */
export function torrcLines (init: TorrcInit): string {
  const targetHost = init.targetHost ?? '127.0.0.1'
  checkPathValue('hiddenServiceDir', init.hiddenServiceDir)
  if (!init.hiddenServiceDir.startsWith('/')) throw new TorrcError('hiddenServiceDir must be an absolute path')
  if (/\s/.test(init.hiddenServiceDir)) throw new TorrcError('hiddenServiceDir must not contain spaces')
  checkPathValue('targetHost', targetHost)
  if (targetHost !== '127.0.0.1' && targetHost !== '::1' && targetHost !== 'localhost') {
    throw new TorrcError(`targetHost must be loopback, got ${targetHost}`)
  }
  checkPort('virtualPort', init.virtualPort)
  checkPort('targetPort', init.targetPort)
  const target = targetHost === '::1' ? `[::1]:${init.targetPort}` : `${targetHost}:${init.targetPort}`
  const lines = [
    `HiddenServiceDir ${init.hiddenServiceDir}`,
    `HiddenServicePort ${init.virtualPort} ${target}`
  ]
  if (init.socksPort != null) {
    checkPort('socksPort', init.socksPort)
    lines.push(`SocksPort 127.0.0.1:${init.socksPort}`)
  }
  return lines.join('\n') + '\n'
}

/**
 * Read `<dir>/hostname` (written by tor once it has created the service keys)
 * and return the validated `<56 chars>.onion`. Throws the fs error (ENOENT
 * while tor has not written it yet) or InvalidOnionAddressError.
 */
export async function readOnionHostname (dir: string): Promise<string> {
  const text = await readFile(join(dir, 'hostname'), 'utf8')
  return onionFromHostnameFile(text)
}
