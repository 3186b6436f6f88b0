/** Helpers for store-forward unit tests: fixed identities, hand-made signed envelopes, stores in temp dirs (real LevelDB). */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { signEnvelope, Kind, Priority, type ValidEnvelope } from '../../mesh/envelope.js'
import { identityFromSeed, type Identity } from '../../node/identity.js'
import { openStores, type Stores } from '../../store-forward/db.js'

export { Kind, Priority }

export function ident (n: number): Identity {
  return identityFromSeed(new Uint8Array(32).fill(n))
}

export interface Made { v: ValidEnvelope, bytes: Uint8Array, id: string }

export interface MakeOpts {
  kind?: Kind
  priority?: Priority
  created?: number
  expires?: number
  ref?: Uint8Array
  /** Payload length; NORMAL (the protobuf default, not encoded) gets 2 bytes more so every priority encodes to the same size. */
  payload?: number
  /** Distinguishes otherwise equal envelopes. */
  n?: number
}

export function make (author: Identity, to: Uint8Array, o: MakeOpts = {}): Made {
  const priority = o.priority ?? Priority.NORMAL
  const len = (o.payload ?? 100) + (priority === Priority.NORMAL ? 2 : 0)
  const payload = new Uint8Array(len)
  if (len >= 4) new DataView(payload.buffer).setUint32(0, o.n ?? 0)
  const created = o.created ?? 10_000_000
  const s = signEnvelope(author.seed, {
    kind: o.kind ?? Kind.DIRECT, from: author.publicKey, to, created, expires: o.expires ?? created + 3_600_000, priority, ref: o.ref, payload
  })
  return { v: { code: 'valid', id: s.id, envelope: s.envelope, body: s.body }, bytes: s.bytes, id: Buffer.from(s.id).toString('hex') }
}

/** A signed ACK by `author` for envelope `ref` (hex), addressed to `to`. */
export function ack (author: Identity, to: Uint8Array, ref: string, o: MakeOpts = {}): Made {
  return make(author, to, { ...o, kind: Kind.ACK, priority: Priority.CRITICAL, ref: new Uint8Array(Buffer.from(ref, 'hex')), payload: 0 })
}

export function tempDir (prefix = 'fp-sf-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix))
}

export async function tempStores (dir = tempDir()): Promise<{ stores: Stores, dir: string }> {
  return { stores: await openStores(path.join(dir, 'db')), dir }
}

/** A settable clock. */
export function clock (start = 10_000_000): { now: () => number, set: (t: number) => void, add: (ms: number) => void } {
  let t = start
  return { now: () => t, set: (x: number) => { t = x }, add: (ms: number) => { t += ms } }
}
