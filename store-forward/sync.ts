/**
 * /funkpost/sync/1.0.0 — anti-entropy on contact. The initiator and the
 * responder reconcile the sets of envelopes they hold (range-based set
 * reconciliation over (created, id), store-forward/reconcile.ts); then the
 * initiator pushes what the responder lacks and asks for what it lacks, and
 * the responder answers with those envelopes. Every received envelope goes
 * through the same validation as gossip (the node's onEnvelope).
 *
 * Bounds: frames ≤ SYNC_MAX_FRAME bytes, ≤ SYNC_MAX_ROUNDS reconciliation
 * rounds, ≤ SYNC_MAX_WANT wanted ids, SYNC_TIMEOUT_MS for the session.
 */
import { lpStream, type LengthPrefixedStream } from '@libp2p/utils'
import type { Uint8ArrayList } from 'uint8arraylist'
import { SyncFrame } from './pb/sync.js'
import { SortedItems, Reconciler } from './reconcile.js'
import { SYNC_PROTOCOL, MAX_HOPS } from '../mesh/constants.js'
import { toHex, fromHex, Envelope, Body, PRIORITY_RANK } from '../mesh/envelope.js'
import { publicKeyFromId } from '../mesh/ids.js'
import { SYNC_FINGERPRINT_BYTES, SYNC_MAX_FRAME, SYNC_MAX_ROUNDS, SYNC_MAX_WANT, SYNC_TIMEOUT_MS } from './constants.js'
import { SyncProtocolError } from './errors.js'
import type { EnvelopeStore } from './envelopes.js'
import type { StreamHost, PeerId, Stream } from '../mesh/stream-host.js'

export interface SyncInit {
  host: StreamHost
  envelopes: EnvelopeStore
  /** Handle one received envelope (validate, store…). */
  onEnvelope: (bytes: Uint8Array, peer: PeerId) => Promise<void>
  now?: () => number
  /** @default SYNC_TIMEOUT_MS */
  timeoutMs?: number
  /** Ids never to hand out (own stale LOW outbox entries, due to be dropped). */
  withhold?: (id: string) => boolean
}

export interface SyncStats {
  sessions: number
  failed: number
  bytesIn: number
  bytesOut: number
  envelopesIn: number
  envelopesOut: number
  rounds: number
}

export interface SyncResult { sent: number, received: number, rounds: number, bytesIn: number, bytesOut: number }

/** Envelopes of one received frame handled at once. */
const TAKE_CONCURRENCY = 16

/** Priority rank (0 CRITICAL … 2 LOW) of encoded envelope bytes; undecodable ones rank as NORMAL (validation rejects them). */
function rankOf (bytes: Uint8Array): number {
  try {
    return PRIORITY_RANK[Body.decode(Envelope.decode(bytes).body).priority] ?? 1
  } catch {
    return 1
  }
}

/** Bytes of a varint that can state SYNC_MAX_FRAME. */
const MAX_LENGTH_BYTES = Math.ceil(Math.log2(SYNC_MAX_FRAME + 1) / 7)

/**
 * The frame length prefix (unsigned varint). Incomplete: RangeError, so the
 * reader waits for more bytes; longer than any allowed frame needs: a
 * protocol error at once (lpStream alone would wait for the varint's end).
 */
function decodeLength (buf: Uint8ArrayList): number {
  let n = 0
  for (let i = 0; i < buf.byteLength; i++) {
    const b = buf.get(i)
    n += (b & 0x7f) * 2 ** (7 * i)
    if ((b & 0x80) === 0) return n
    if (i + 1 >= MAX_LENGTH_BYTES) throw new SyncProtocolError('sync frame length prefix too long')
  }
  throw new RangeError('incomplete length prefix')
}

/** Reads and writes SyncFrames, counting bytes. */
class FrameChannel {
  bytesIn = 0
  bytesOut = 0
  private readonly lp: LengthPrefixedStream<Stream>
  constructor (readonly stream: Stream, private readonly signal: AbortSignal) {
    this.lp = lpStream(stream, { maxDataLength: SYNC_MAX_FRAME, lengthDecoder: decodeLength })
  }

  async read (): Promise<SyncFrame> {
    const buf = await this.lp.read({ signal: this.signal })
    this.bytesIn += buf.byteLength + 3
    try {
      return SyncFrame.decode(buf, { limits: { envelopes: 4096, want: 8192 } })
    } catch (err) {
      throw new SyncProtocolError(`malformed sync frame: ${(err as Error).message}`)
    }
  }

  async write (f: Partial<SyncFrame>): Promise<void> {
    const bytes = SyncFrame.encode({ recon: new Uint8Array(0), envelopes: [], want: [], done: false, ...f } as SyncFrame)
    this.bytesOut += bytes.byteLength + 3
    await this.lp.write(bytes, { signal: this.signal })
  }
}

export class SyncProtocol {
  readonly stats: SyncStats = { sessions: 0, failed: 0, bytesIn: 0, bytesOut: 0, envelopesIn: 0, envelopesOut: 0, rounds: 0 }
  private readonly timeoutMs: number
  private readonly running = new Set<string>()

  constructor (private readonly init: SyncInit) {
    this.timeoutMs = init.timeoutMs ?? SYNC_TIMEOUT_MS
  }

  async start (): Promise<void> {
    await this.init.host.handle(SYNC_PROTOCOL, async (stream, connection) => {
      await this.respond(stream, connection.remotePeer).catch(err => {
        this.stats.failed++
        stream.abort(err as Error)
      })
    }, { maxInboundStreams: 4, maxOutboundStreams: 4 })
  }

  async stop (): Promise<void> {
    await this.init.host.unhandle(SYNC_PROTOCOL)
  }

  private items (): SortedItems {
    const list: Array<{ ts: number, id: Uint8Array }> = []
    for (const it of this.init.envelopes.items()) list.push({ ts: it.ts, id: fromHex(it.id) })
    return SortedItems.from(list)
  }

  /** Envelopes to hand to `peer`, highest priority first; past MAX_HOPS only to their recipient. */
  private async outgoing (ids: string[], peerKey: string): Promise<Uint8Array[]> {
    const metas = ids.map(id => ({ id, m: this.init.envelopes.getMeta(id) }))
      .filter(x => x.m !== undefined && (x.m.hops < MAX_HOPS || x.m.to === peerKey) && this.init.withhold?.(x.id) !== true)
      .sort((a, b) => a.m!.rank - b.m!.rank || a.m!.created - b.m!.created)
    const bytes = await this.init.envelopes.getMany(metas.map(x => x.id))
    return bytes.filter((b): b is Uint8Array => b !== undefined)
  }

  private async sendEnvelopes (ch: FrameChannel, envs: Uint8Array[]): Promise<void> {
    let batch: Uint8Array[] = []
    let size = 0
    for (const e of envs) {
      if (size + e.length + 8 > SYNC_MAX_FRAME - 64 && batch.length > 0) {
        await ch.write({ envelopes: batch as Array<Uint8Array<ArrayBuffer>> })
        batch = []
        size = 0
      }
      batch.push(e)
      size += e.length + 8
    }
    if (batch.length > 0) await ch.write({ envelopes: batch as Array<Uint8Array<ArrayBuffer>> })
    this.stats.envelopesOut += envs.length
  }

  /**
   * Hand a frame's envelopes to the node, up to TAKE_CONCURRENCY at once (one
   * at a time, each waits on the store several times). They come sorted by
   * priority; every envelope of a higher class is done before a lower one starts.
   */
  private async take (frame: SyncFrame, peer: PeerId): Promise<number> {
    const list = frame.envelopes
    const ranks = list.map(rankOf)
    for (let i = 0; i < list.length;) {
      let j = i + 1
      while (j < list.length && ranks[j] === ranks[i]) j++
      let next = i
      const end = j
      const worker = async (): Promise<void> => { while (next < end) await this.init.onEnvelope(list[next++], peer) }
      await Promise.all(Array.from({ length: Math.min(TAKE_CONCURRENCY, end - i) }, worker))
      i = j
    }
    this.stats.envelopesIn += frame.envelopes.length
    return frame.envelopes.length
  }

  private peerKey (peer: PeerId): string {
    try { return toHex(publicKeyFromId(peer.toString())) } catch { return '' }
  }

  /** Run one session as initiator. One session per peer at a time. */
  async run (peer: PeerId): Promise<SyncResult> {
    const key = peer.toString()
    if (this.running.has(key)) return { sent: 0, received: 0, rounds: 0, bytesIn: 0, bytesOut: 0 }
    this.running.add(key)
    const signal = AbortSignal.timeout(this.timeoutMs)
    let stream: Stream
    try {
      stream = await this.init.host.dialProtocol(peer, SYNC_PROTOCOL, { signal })
    } catch (err) {
      this.running.delete(key)
      throw err
    }
    const ch = new FrameChannel(stream, signal)
    this.stats.sessions++
    try {
      const r = new Reconciler(this.items(), { maxRounds: SYNC_MAX_ROUNDS, fingerprintBytes: SYNC_FINGERPRINT_BYTES })
      const have: string[] = []
      const need: Uint8Array[] = []
      await ch.write({ recon: r.initiate() as Uint8Array<ArrayBuffer> })
      let rounds = 0
      for (;;) {
        const f = await ch.read()
        if (f.recon.length === 0) throw new SyncProtocolError('responder sent no reconciliation frame')
        const res = r.reconcile(f.recon)
        rounds++
        for (const id of res.have) have.push(toHex(id))
        for (const id of res.need) if (need.length < SYNC_MAX_WANT) need.push(id)
        if (res.reply === null) break
        await ch.write({ recon: res.reply as Uint8Array<ArrayBuffer> })
      }
      await this.sendEnvelopes(ch, await this.outgoing(have, this.peerKey(peer)))
      const want = need.filter(id => { const h = toHex(id); return !this.init.envelopes.has(h) && !this.init.envelopes.isTombstoned(h) })
      for (let i = 0; i < want.length; i += 2000) await ch.write({ want: want.slice(i, i + 2000) as Array<Uint8Array<ArrayBuffer>> })
      await ch.write({ done: true })
      let received = 0
      for (;;) {
        const f = await ch.read()
        received += await this.take(f, peer)
        if (f.done) break
      }
      await stream.close({ signal })
      this.account(ch, rounds)
      return { sent: have.length, received, rounds, bytesIn: ch.bytesIn, bytesOut: ch.bytesOut }
    } catch (err) {
      this.stats.failed++
      stream.abort(err as Error)
      throw err
    } finally {
      this.running.delete(key)
    }
  }

  private account (ch: FrameChannel, rounds: number): void {
    this.stats.bytesIn += ch.bytesIn
    this.stats.bytesOut += ch.bytesOut
    this.stats.rounds += rounds
  }

  private async respond (stream: Stream, peer: PeerId): Promise<void> {
    const signal = AbortSignal.timeout(this.timeoutMs)
    const ch = new FrameChannel(stream, signal)
    const r = new Reconciler(this.items(), { maxRounds: SYNC_MAX_ROUNDS, fingerprintBytes: SYNC_FINGERPRINT_BYTES })
    const wanted: string[] = []
    let rounds = 0
    for (;;) {
      const f = await ch.read()
      if (f.recon.length > 0) {
        const res = r.reconcile(f.recon)
        rounds++
        if (res.reply !== null) await ch.write({ recon: res.reply as Uint8Array<ArrayBuffer> })
      }
      await this.take(f, peer)
      for (const id of f.want) {
        if (wanted.length >= SYNC_MAX_WANT) throw new SyncProtocolError(`peer wants more than ${SYNC_MAX_WANT} envelopes`)
        if (id.length === 32) wanted.push(toHex(id))
      }
      if (f.done) break
    }
    await this.sendEnvelopes(ch, await this.outgoing(wanted, this.peerKey(peer)))
    await ch.write({ done: true })
    await stream.close({ signal })
    this.account(ch, rounds)
  }
}
