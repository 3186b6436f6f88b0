/**
 * History: the conversation as the user sees it — messages received here
 * (opened) and sent from here (their plaintext: a sender cannot open its own
 * sealed box) with their delivery state.
 */
import { put, type Stores, type BatchOp } from './db.js'

export type MessageStatus = 'queued' | 'sent' | 'delivered' | 'read' | 'received'

export interface HistoryEntry {
  id: string
  dir: 'in' | 'out'
  /** Author and recipient keys (hex); for channels `to` is the channel id. */
  from: string
  to: string
  /** Conversation key: the other party's key (hex) or the channel id. */
  peer: string
  /** 'direct' or 'channel'. */
  conv: 'direct' | 'channel'
  type: string
  text: string
  ref?: string
  emoji?: string
  /** Author's created time, ms. */
  at: number
  /** When it arrived or was sent here, ms. */
  seen: number
  expires: number
  /** Disappearing: delete locally after this time (0 = keep until `expires`... or forever for history). */
  deleteAt?: number
  status: MessageStatus
  edited?: boolean
  deleted?: boolean
  reactions?: Record<string, string>
  /** For received messages: id of the ACK this node sent. */
  ackId?: string
}

const STATUS_ORDER: Record<MessageStatus, number> = { queued: 0, sent: 1, delivered: 2, read: 3, received: 0 }

export class History {
  private readonly entries = new Map<string, HistoryEntry>()

  private constructor (private readonly stores: Stores) {}

  static async open (stores: Stores): Promise<History> {
    const h = new History(stores)
    for await (const [id, e] of stores.history.iterator()) h.entries.set(id, e as HistoryEntry)
    return h
  }

  has (id: string): boolean { return this.entries.has(id) }
  get (id: string): HistoryEntry | undefined { return this.entries.get(id) }
  get size (): number { return this.entries.size }

  putOp (e: HistoryEntry): BatchOp { return put(this.stores.history, e.id, e) }
  commit (e: HistoryEntry): void { this.entries.set(e.id, e) }

  async save (e: HistoryEntry): Promise<void> {
    await this.stores.history.put(e.id, e)
    this.entries.set(e.id, e)
  }

  async remove (id: string): Promise<void> {
    await this.stores.history.del(id)
    this.entries.delete(id)
  }

  /** Advance a sent message's status (never backwards: delivered stays delivered). */
  async advance (id: string, status: MessageStatus): Promise<HistoryEntry | undefined> {
    const e = this.entries.get(id)
    if (e === undefined || STATUS_ORDER[status] <= STATUS_ORDER[e.status]) return undefined
    e.status = status
    await this.save(e)
    return e
  }

  /** Entries in time order, filtered. */
  list (filter: { peer?: string, conv?: HistoryEntry['conv'], dir?: HistoryEntry['dir'], since?: number, limit?: number } = {}): HistoryEntry[] {
    let out = [...this.entries.values()].filter(e =>
      (filter.peer === undefined || e.peer === filter.peer) &&
      (filter.conv === undefined || e.conv === filter.conv) &&
      (filter.dir === undefined || e.dir === filter.dir) &&
      (filter.since === undefined || e.at >= filter.since))
    out.sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1))
    if (filter.limit !== undefined) out = out.slice(-filter.limit)
    return out
  }

  all (): IterableIterator<HistoryEntry> { return this.entries.values() }
}
