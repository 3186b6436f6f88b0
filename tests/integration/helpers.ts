/** Test helpers: start real funkpost nodes (real libp2p, real LevelDB in temp homes) and link them. */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import crypto from 'node:crypto'
import { FunkpostNode, type FunkpostNodeInit } from '../../node/node.js'
import { identityFromSeed, type Identity } from '../../node/identity.js'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { memory as memoryTransport } from '@libp2p/memory'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify, type Identify } from '@libp2p/identify'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { gossipOptions } from '../../mesh/gossip.js'
import { signEnvelope, Kind, Priority, type BodyInit, type SignedEnvelope } from '../../mesh/envelope.js'
import { seal } from '../../mesh/seal.js'
import { encodeContent, ContentType } from '../../mesh/content.js'

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

/** A seeded PRNG (mulberry32): the same seed, the same graph and jitter. */
export function seededRandom (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = Math.imul(a ^ (a >>> 15), 1 | a)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

/** Edges of a random connected graph on n nodes: a random spanning tree plus `extra` distinct chords. */
export function randomGraph (n: number, extra: number, random: () => number): Array<[number, number]> {
  const edges: Array<[number, number]> = []
  const has = new Set<string>()
  const add = (a: number, b: number): boolean => {
    const k = a < b ? `${a}-${b}` : `${b}-${a}`
    if (a === b || has.has(k)) return false
    has.add(k)
    edges.push([a, b])
    return true
  }
  for (let i = 1; i < n; i++) add(i, Math.floor(random() * i))
  const max = n * (n - 1) / 2
  for (let tries = 0; edges.length < Math.min(max, n - 1 + extra) && tries < 1000; tries++) {
    add(Math.floor(random() * n), Math.floor(random() * n))
  }
  return edges
}

/** Link nodes along edges (one dial per edge, lower index dials). */
export async function linkEdges (nodes: FunkpostNode[], edges: Array<[number, number]>): Promise<void> {
  for (const [a, b] of edges) await link(nodes[Math.min(a, b)], nodes[Math.max(a, b)])
}

/** Hops from node `from` to every node over edges (BFS); -1 when unreachable. */
export function hopCounts (n: number, edges: Array<[number, number]>, from: number): number[] {
  const adj = Array.from({ length: n }, () => [] as number[])
  for (const [a, b] of edges) { adj[a].push(b); adj[b].push(a) }
  const dist = new Array<number>(n).fill(-1)
  dist[from] = 0
  const queue = [from]
  for (let i = 0; i < queue.length; i++) {
    for (const m of adj[queue[i]]) if (dist[m] < 0) { dist[m] = dist[queue[i]] + 1; queue.push(m) }
  }
  return dist
}

/** A DIRECT envelope sealed and signed exactly as a node's mailroom would make it (for replays and forgeries). */
export function sealedDirect (from: Identity, to: Identity, text: string, init: Partial<BodyInit> = {}, now = Date.now()): SignedEnvelope {
  const created = init.created ?? now
  const expires = init.expires ?? now + 3_600_000
  const header = { from: from.publicKey, to: to.publicKey, created, expires }
  const payload = init.payload ?? seal(encodeContent({ type: ContentType.TEXT, text }), header)
  return signEnvelope(from.seed, { kind: Kind.DIRECT, ...header, priority: Priority.NORMAL, ...init, payload })
}

export type BareGossipNode = Libp2p<{ identify: Identify, pubsub: GossipSub }>

/**
 * A bare libp2p node with gossipsub only — funkpost's gossip options (so
 * message ids match) but no topic validator: it publishes whatever it is
 * given. Hostile peers in tests; plain gossipsub in the mesh benchmark.
 */
export async function bareGossipNode (listen = '/ip4/127.0.0.1/tcp/0', privateKey?: PrivateKey): Promise<BareGossipNode> {
  const memory = listen.startsWith('/memory/')
  const node = await createLibp2p({
    privateKey: privateKey ?? await generateKeyPair('Ed25519'),
    addresses: { listen: [listen] },
    transports: memory ? [memoryTransport()] : [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: { inboundConnectionThreshold: 100 },
    services: { identify: identify(), pubsub: gossipsub(gossipOptions()) }
  })
  return node
}

/** Link nodes in a line: n0–n1–…–nk. */
export async function linkLine (nodes: FunkpostNode[]): Promise<void> {
  for (let i = 1; i < nodes.length; i++) await link(nodes[i - 1], nodes[i])
}

export async function sleep (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms))
}

/** Start n nodes one after the other (starting many at once on 2 cores only adds contention). */
export async function startNodes (n: number, opts: NodeOpts | ((i: number) => NodeOpts) = {}): Promise<FunkpostNode[]> {
  const out: FunkpostNode[] = []
  for (let i = 0; i < n; i++) out.push(await startNode(typeof opts === 'function' ? opts(i) : opts))
  return out
}
