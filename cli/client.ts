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
import { resolveSettings } from '../node/settings.js'
import { DaemonRunningError, NoDaemonError } from '../node/errors.js'

export type Call = <T = any>(method: string, params?: Record<string, unknown>) => Promise<T> // eslint-disable-line @typescript-eslint/no-explicit-any

export interface Api { call: Call, mode: 'daemon' | 'offline', close: () => Promise<void> }

/** How long an offline command waits for a store another short command (or a starting daemon) holds. */
const LOCKED_WAIT_MS = 3000
const LOCKED_STEP_MS = 100

async function daemonApi (home: string): Promise<Api | undefined> {
  if (!fs.existsSync(socketPath(home)) || !await probe(socketPath(home))) return undefined
  const client = await ControlClient.connect(home)
  return { call: async (m, p) => client.call(m, p), mode: 'daemon', close: async () => client.close() }
}

export async function openApi (home: string): Promise<Api> {
  const daemon = await daemonApi(home)
  if (daemon !== undefined) return daemon
  const identity = loadIdentity(home)
  // The same profile and name as the daemon would use (config.json, FUNKPOST_*): quotas and the outbox cap apply offline too.
  const { name, profile, quotaBytes } = resolveSettings(home, {})
  let node: FunkpostNode
  // LevelDB allows one process per store: another offline command, or a daemon
  // between opening its store and its socket, holds it for a moment. Wait, bounded.
  const deadline = Date.now() + LOCKED_WAIT_MS
  for (let attempt = 0; ; attempt++) {
    node = new FunkpostNode({ home, identity, name, profile, quotaBytes, listen: [] })
    try {
      await node.start({ network: false })
      break
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } }
      if (e.cause?.code !== 'LEVEL_LOCKED') throw err
      if (Date.now() > deadline || attempt > LOCKED_WAIT_MS / LOCKED_STEP_MS) {
        throw new DaemonRunningError(`the store in ${home} is in use by a funkpost process that does not answer on its control socket; wait for it or stop it`)
      }
      await new Promise(resolve => setTimeout(resolve, LOCKED_STEP_MS))
      const d = await daemonApi(home)
      if (d !== undefined) return d
    }
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

/** Ask the daemon of `home` to stop, and wait (bounded) until its socket is gone. */
export async function stopDaemon (home: string, timeoutMs: number): Promise<{ id: string }> {
  const file = socketPath(home)
  if (!fs.existsSync(file) || !await probe(file)) throw new NoDaemonError(`no funkpost node is running for ${home}`)
  const client = await ControlClient.connect(home)
  let r: { id: string }
  try {
    r = await client.call<{ id: string }>('stop')
  } finally {
    client.close()
  }
  const deadline = Date.now() + timeoutMs
  while (fs.existsSync(file) && await probe(file, 200)) {
    if (Date.now() > deadline) throw new DaemonRunningError(`the node for ${home} did not stop within ${Math.round(timeoutMs / 1000)} s`)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  return r
}
