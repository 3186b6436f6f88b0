/**
 * History: the conversation as the user sees it — messages received here
 * (opened) and sent from here (their plaintext: a sender cannot open its own
 * sealed box) with their delivery state.
 */
import { put, type Stores, type BatchOp } from './db.js'
import { ContentType } from '../mesh/content.js'

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

  /**
   * Apply an edit, delete, reaction or read marker by `author` to the
   * message `ref`; returns the changed entry (saved), or undefined when the
   * action does not apply. `conv` is the conversation the action came in
   * (the other party's key, or the channel id): an action about a message of
   * another conversation is ignored, so nobody can react to, or mark,
   * messages they were not part of. Edits and deletes only by the author.
   */
  async applyAction (a: { author: string, type: ContentType, ref: string, text: string, emoji: string, conv: string }): Promise<HistoryEntry | undefined> {
    const target = this.entries.get(a.ref)
    if (target === undefined || target.peer !== a.conv) return undefined
    switch (a.type) {
      case ContentType.EDIT:
        if (target.from !== a.author || target.deleted === true) return undefined
        target.text = a.text
        target.edited = true
        break
      case ContentType.DELETE:
        if (target.from !== a.author) return undefined
        target.text = ''
        target.deleted = true
        break
      case ContentType.REACTION:
        target.reactions = { ...(target.reactions ?? {}) }
        if (a.emoji === '') delete target.reactions[a.author]
        else target.reactions[a.author] = a.emoji
        break
      case ContentType.READ:
        if (target.dir !== 'out' || target.to !== a.author || target.status === 'read') return undefined
        target.status = 'read'
        break
      default:
        return undefined
    }
    await this.save(target)
    return target
  }
}
