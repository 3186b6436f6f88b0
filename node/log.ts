/**
 * Loggers of the node layer: `funkpost:node:<component>[:<node>]`, with the
 * levels and formats of transports/log.ts (`--log-level`, `--log-format`,
 * `DEBUG=funkpost:*`).
 */
import { logger as named, componentLogger, type Log } from '../transports/log.js'

export type { Log }
export { componentLogger }

export function logger (component: string, nodePrefix?: string): Log {
  return named(nodePrefix !== undefined && nodePrefix !== '' ? `funkpost:${component}:${nodePrefix}` : `funkpost:${component}`)
}
