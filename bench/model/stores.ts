/**
 * An in-memory stand-in for the LevelDB Stores, just enough for the real
 * EnvelopeStore and Outbox to run inside the model: batches and puts resolve
 * at once and keep nothing (the model never reads bytes back), iterators are
 * empty. So custody eviction, tombstones and outbox backoff in the model are
 * the real decision code, not a re-implementation.
 */
import type { Stores } from '../../store-forward/db.js'

function sub (): unknown {
  return {
    put: async () => {},
    del: async () => {},
    get: async () => undefined,
    getMany: async (keys: string[]) => keys.map(() => undefined),
    iterator: async function * () {},
    keys: async function * () {}
  }
}

export function memoryStores (): Stores {
  return {
    db: { batch: async () => {} },
    envelopes: sub(),
    meta: sub(),
    tombstones: sub(),
    outbox: sub(),
    history: sub(),
    peers: sub(),
    contacts: sub(),
    blocklist: sub(),
    channels: sub(),
    kv: sub()
  } as unknown as Stores
}
