/** Test helpers: start real funkpost nodes (real libp2p, real LevelDB in temp homes) and link them. */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import crypto from 'node:crypto'
import { FunkpostNode, type FunkpostNodeInit } from '../../node/node.js'
import { identityFromSeed } from '../../node/identity.js'

export function tempHome (prefix = 'fp-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix))
}

export type NodeOpts = Partial<FunkpostNodeInit> & { transport?: 'tcp' | 'memory', seed?: Uint8Array }

let memCounter = 0

export async function startNode (opts: NodeOpts = {}): Promise<FunkpostNode> {
  const home = opts.home ?? tempHome()
  const identity = identityFromSeed(opts.seed ?? new Uint8Array(crypto.randomBytes(32)))
  const memory = opts.transport === 'memory'
  const node = new FunkpostNode({
    home,
    identity,
    listen: memory ? [`/memory/fp-${process.pid}-${++memCounter}`] : ['/ip4/127.0.0.1/tcp/0'],
    memory,
    mdns: false,
    dht: false,
    syncIntervalMs: 60_000,
    announceIntervalMs: 60_000,
    backoffBaseMs: 300,
    ...opts,
    identity: opts.identity ?? identity
  })
  await node.start()
  return node
}

/** Dial b from a and wait until both see the connection and gossip meshes form. */
export async function link (a: FunkpostNode, b: FunkpostNode): Promise<void> {
  await a.libp2p.dial(b.libp2p.getMultiaddrs()[0])
}

export async function waitFor<T> (what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10000, stepMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v !== undefined && v !== false) return v
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, stepMs))
  }
}

/** Wait until every node sees `topic` subscribers from each of its connected peers (gossip mesh ready). */
export async function meshReady (nodes: FunkpostNode[], timeoutMs = 10000): Promise<void> {
  await waitFor('gossip mesh', () => nodes.every(n => {
    const peers = n.libp2p.getPeers().length
    return peers > 0 && n.libp2p.services.pubsub.getSubscribers('/funkpost/mail/1').length >= peers
  }), timeoutMs)
  // gossipsub grafts on its 1 s heartbeat
  await new Promise(resolve => setTimeout(resolve, 1200))
}

export async function stopAll (nodes: FunkpostNode[]): Promise<void> {
  await Promise.all(nodes.map(async n => n.stop().catch(() => {})))
}
