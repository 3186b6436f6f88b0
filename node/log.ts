/** A log namespace per component and a prefix per node: `DEBUG=funkpost:*` shows them (STYLE 17). */
import { logger as libp2pLogger } from '@libp2p/logger'
import type { Logger } from '@libp2p/interface'

export type { Logger }

export function logger (component: string, nodePrefix?: string): Logger {
  return libp2pLogger(nodePrefix !== undefined ? `funkpost:${component}:${nodePrefix}` : `funkpost:${component}`)
}
