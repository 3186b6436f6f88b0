/**
 * The on-disk store: one LevelDB under $FUNKPOST_HOME/db with a sublevel per
 * kind of record. Writes that belong together go in one batch (`db.batch`
 * with `sublevel` on each operation), so a crash never splits them.
 */
import { Level } from 'level'
import type { AbstractSublevel, AbstractBatchOperation } from 'abstract-level'

type Sub<V> = AbstractSublevel<Level<string, unknown>, string | Buffer | Uint8Array, string, V>

/** Per-envelope metadata kept beside the bytes (and mirrored in memory). */
export interface EnvMeta {
  created: number
  expires: number
  /** 0 CRITICAL, 1 NORMAL, 2 LOW */
  rank: number
  size: number
  kind: string
  from: string
  to: string
  ref?: string
  hops: number
  /** Why it is held: custody (for others), own (authored here), ack (an ACK held for its addressee). */
  role: 'custody' | 'own'
  /** When it came here, ms. */
  at: number
}

export interface Tombstone {
  /** Drop nothing after this time. */
  expires: number
  /** Key (hex) of the ACK's author: only an envelope addressed to this key is suppressed. */
  ackFrom: string
  /** Other ACK authors seen for this id while the original was not held here (bounded): any of them may be its recipient. */
  also?: string[]
  /** false when no ACK author is known to be the recipient (the ACK came without the original); such a tombstone suppresses only copies addressed to an ACK author. */
  verified?: boolean
}

export interface OutboxState {
  id: string
  rank: number
  created: number
  attempts: number
  nextAt: number
  /** Last time it was handed to at least one peer (0 = never). */
  sentAt: number
}

export interface Stores {
  db: Level<string, unknown>
  envelopes: Sub<Uint8Array>
  meta: Sub<EnvMeta>
  tombstones: Sub<Tombstone>
  outbox: Sub<OutboxState>
  history: Sub<unknown>
  peers: Sub<unknown>
  contacts: Sub<unknown>
  blocklist: Sub<unknown>
  channels: Sub<unknown>
  kv: Sub<unknown>
}

export async function openStores (location: string): Promise<Stores> {
  const db = new Level<string, unknown>(location, { valueEncoding: 'json' })
  await db.open()
  const json = <V>(name: string): Sub<V> => db.sublevel<string, V>(name, { valueEncoding: 'json' }) as unknown as Sub<V>
  return {
    db,
    envelopes: db.sublevel<string, Uint8Array>('env', { valueEncoding: 'view' }) as unknown as Sub<Uint8Array>,
    meta: json<EnvMeta>('meta'),
    tombstones: json<Tombstone>('tomb'),
    outbox: json<OutboxState>('outbox'),
    history: json('history'),
    peers: json('peers'),
    contacts: json('contacts'),
    blocklist: json('block'),
    channels: json('channels'),
    kv: json('kv')
  }
}

export type BatchOp = AbstractBatchOperation<Level<string, unknown>, string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

export function put<V> (sublevel: Sub<V>, key: string, value: V): BatchOp {
  return { type: 'put', sublevel, key, value } as unknown as BatchOp
}

export function del<V> (sublevel: Sub<V>, key: string): BatchOp {
  return { type: 'del', sublevel, key } as unknown as BatchOp
}

export type { Sub }
