/**
 * How a command reaches a node: through the control socket of the node
 * running for this home, or — when none runs — through an offline node
 * opened on the same store (no network), for commands that make sense
 * without one.
 */
import fs from 'node:fs'
import { ControlClient, socketPath, probe } from '../node/control.js'
import { FunkpostNode } from '../node/node.js'
import { loadIdentity } from '../node/identity.js'
import { makeContext } from '../node/api.js'
import { allHandlers as handlers } from '../node/handlers.js'
import { readConfig } from '../node/config.js'
import { DaemonRunningError } from '../node/errors.js'

export type Call = <T = any>(method: string, params?: Record<string, unknown>) => Promise<T> // eslint-disable-line @typescript-eslint/no-explicit-any

export interface Api { call: Call, mode: 'daemon' | 'offline', close: () => Promise<void> }

export async function openApi (home: string): Promise<Api> {
  if (fs.existsSync(socketPath(home)) && await probe(socketPath(home))) {
    const client = await ControlClient.connect(home)
    return { call: async (m, p) => client.call(m, p), mode: 'daemon', close: async () => client.close() }
  }
  const identity = loadIdentity(home)
  const node = new FunkpostNode({ home, identity, name: readConfig(home).name ?? '', listen: [] })
  try {
    await node.start({ network: false })
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } }
    if (e.cause?.code === 'LEVEL_LOCKED') throw new DaemonRunningError(`the store in ${home} is in use by a funkpost process that does not answer on its control socket; wait for it or stop it`)
    throw err
  }
  const ctx = await makeContext(node)
  return {
    call: async (m, p = {}) => {
      const h = handlers[m]
      if (h === undefined) throw new Error(`unknown method ${m}`)
      return h(ctx, p) as Promise<any> // eslint-disable-line @typescript-eslint/no-explicit-any
    },
    mode: 'offline',
    close: async () => node.stop()
  }
}

export async function withApi<T> (home: string, fn: (api: Api) => Promise<T>): Promise<T> {
  const api = await openApi(home)
  try {
    return await fn(api)
  } finally {
    await api.close()
  }
}
