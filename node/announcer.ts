/**
 * Announces: this node's signed ANNOUNCE (name, addresses, roles) on the
 * announce topic every ANNOUNCE_INTERVAL_MS and shortly after a new
 * connection (once the gossip mesh with the newcomer has formed), and the
 * directory of other nodes' newest announces.
 */
import { makeAnnounce, readAnnounce, type Directory } from '../mesh/announce.js'
import type { ValidEnvelope } from '../mesh/envelope.js'
import type { GossipRouter } from '../mesh/gossip.js'
import { ANNOUNCE_INTERVAL_MS, ANNOUNCE_TOPIC } from '../mesh/constants.js'
import type { Log } from './log.js'
import { Timers } from './timers.js'

/** A new connection triggers an announce only if the last one is older than this (announces were the largest traffic at 100 nodes). */
const ANNOUNCE_MIN_GAP_MS = 30_000
/** Wait after a connection before announcing: gossipsub grafts the newcomer on its 1 s heartbeat. */
const ANNOUNCE_AFTER_CONNECT_MS = 1500

export interface AnnouncerComponents {
  id: string
  seed: Uint8Array
  publicKey: Uint8Array
  gossip: GossipRouter
  directory: Directory
  /** The current name, addresses and roles to announce. */
  info: () => { name: string, addrs: string[], roles: string[] }
  now: () => number
  log: Log
  /** @default ANNOUNCE_INTERVAL_MS */
  intervalMs?: number
  /** Another node announced this node's own id: the identity runs twice. */
  onDuplicate?: (d: DuplicateIdentity) => void
}

/** Seen when an ANNOUNCE signed with this node's key was not made by this process. */
export interface DuplicateIdentity { at: number, addrs: string[], name: string }

/** Ids of this node's own recent announces, remembered to tell them from another node's. */
const OWN_ANNOUNCES_KEPT = 32

export class Announcer {
  private readonly timers: Timers
  private soon: NodeJS.Timeout | undefined
  private last = 0
  private running = false
  private readonly own: string[] = []
  /** The last sighting of another node with this node's identity. */
  duplicate: DuplicateIdentity | undefined

  constructor (private readonly c: AnnouncerComponents) {
    this.timers = new Timers(c.log)
  }

  start (): void {
    this.running = true
    this.timers.every(this.c.intervalMs ?? ANNOUNCE_INTERVAL_MS, 'announce', async () => this.announce())
  }

  stop (): void {
    this.running = false
    this.timers.clear()
    this.soon = undefined
  }

  /** A peer connected: announce soon unless we did recently. */
  peerConnected (): void {
    if (!this.running || this.soon !== undefined || this.c.now() - this.last <= ANNOUNCE_MIN_GAP_MS) return
    this.soon = this.timers.after(ANNOUNCE_AFTER_CONNECT_MS, () => {
      this.soon = undefined
      this.announce().catch(err => this.c.log.error('announce failed: %e', err))
    })
  }

  async announce (): Promise<void> {
    if (!this.running) return
    const a = makeAnnounce(this.c.seed, this.c.publicKey, this.c.info(), this.c.now())
    this.last = this.c.now()
    this.own.push(Buffer.from(a.id).toString('hex'))
    if (this.own.length > OWN_ANNOUNCES_KEPT) this.own.shift()
    const n = await this.c.gossip.publish(ANNOUNCE_TOPIC, a.bytes, a.id)
    this.c.log.trace('announced to %d peers', n)
  }

  /** Another node's valid ANNOUNCE: keep it when it is newer than what we know. */
  take (v: ValidEnvelope): void {
    const entry = readAnnounce(v)
    if (entry === undefined) {
      this.c.log('announce with an unreadable payload ignored')
      return
    }
    if (entry.id === this.c.id) {
      if (!this.own.includes(Buffer.from(v.id).toString('hex'))) this.sawTwin(entry.addrs, entry.name, entry.at)
      return
    }
    if (this.c.directory.update(entry)) this.c.log.trace('announce of %s (%s)', entry.id, entry.name)
  }

  private sawTwin (addrs: string[], name: string, at: number): void {
    const first = this.duplicate === undefined
    this.duplicate = { at, addrs, name }
    // Loud once per sighting burst: every announce of the twin would repeat it.
    if (first) this.c.log.warn('ANOTHER NODE USES THIS IDENTITY (announced from %s): mail to this id is split between the two; stop one of them (docs/OPERATOR.md, "Moving an identity")', addrs.join(' ') || 'an unknown address')
    this.c.onDuplicate?.(this.duplicate)
  }
}
