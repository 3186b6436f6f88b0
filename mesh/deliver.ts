/**
 * /funkpost/deliver/1.0.0 — hand one envelope to a connected peer and get
 * an answer: the dialer writes one length-prefixed Envelope, the listener
 * answers one length-prefixed DeliverResponse (ACKED with the recipient's
 * signed ACK, ACCEPTED when held for others, REJECTED with a reason), then
 * both close. Bounded: one frame each way, MAX_ENVELOPE_BYTES, and a
 * timeout on the whole exchange.
 */
import { lpStream } from '@libp2p/utils'
import { DeliverResponse } from './pb/wire.js'
import { DELIVER_PROTOCOL, DELIVER_TIMEOUT_MS, MAX_ENVELOPE_BYTES } from './constants.js'
import type { StreamHost, PeerId, Stream } from './stream-host.js'

export { DeliverResponse }

export interface DeliverInit {
  host: StreamHost
  /** Decide about bytes from `peer`; never throws on bad input. */
  onDeliver: (bytes: Uint8Array, peer: PeerId) => Promise<DeliverResponse>
  /** @default DELIVER_TIMEOUT_MS */
  timeoutMs?: number
}

export class DeliverProtocol {
  private readonly timeoutMs: number

  constructor (private readonly init: DeliverInit) {
    this.timeoutMs = init.timeoutMs ?? DELIVER_TIMEOUT_MS
  }

  async start (): Promise<void> {
    await this.init.host.handle(DELIVER_PROTOCOL, async (stream, connection) => {
      await this.serve(stream, connection.remotePeer)
    }, { maxInboundStreams: 32, maxOutboundStreams: 32 })
  }

  async stop (): Promise<void> {
    await this.init.host.unhandle(DELIVER_PROTOCOL)
  }

  private async serve (stream: Stream, peer: PeerId): Promise<void> {
    const signal = AbortSignal.timeout(this.timeoutMs)
    const lp = lpStream(stream, { maxDataLength: MAX_ENVELOPE_BYTES + 16 })
    try {
      const frame = await lp.read({ signal })
      const response = await this.init.onDeliver(frame.subarray(), peer)
      await lp.write(DeliverResponse.encode(response), { signal })
      await stream.close({ signal })
    } catch (err) {
      stream.abort(err as Error)
    }
  }

  /** Deliver bytes to a peer over a new stream; throws on transport errors or timeout. */
  async deliver (peer: PeerId, bytes: Uint8Array): Promise<DeliverResponse> {
    const signal = AbortSignal.timeout(this.timeoutMs)
    const stream = await this.init.host.dialProtocol(peer, DELIVER_PROTOCOL, { signal })
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_ENVELOPE_BYTES + 1024 })
      await lp.write(bytes, { signal })
      const answer = DeliverResponse.decode(await lp.read({ signal }))
      await stream.close({ signal })
      return answer
    } catch (err) {
      stream.abort(err as Error)
      throw err
    }
  }
}
