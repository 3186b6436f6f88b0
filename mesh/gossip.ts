/**
 * The gossip router: gossipsub topics for mail, announces and channels, with
 * gossip's own signing off (envelopes are signed already), message id =
 * envelope id, and a topic validator that runs envelope validation, dedupe,
 * per-peer rate limits and the blocklist. Its verdict drives gossipsub's peer
 * scoring: invalid → Reject (the sender is penalised), duplicate, blocked or
 * over-rate → Ignore (not forwarded, not penalised).
 */
import { StrictNoSign, TopicValidatorResult, type GossipsubOpts, type GossipSub, type Message } from '@libp2p/gossipsub'
import { createPeerScoreParams, createTopicScoreParams } from '@libp2p/gossipsub/score'
import crypto from 'node:crypto'
import { Envelope, Body, Kind, validateDecoded, type ValidEnvelope, type InvalidReason } from './envelope.js'
import { MAIL_TOPIC, ANNOUNCE_TOPIC, CHANNEL_TOPIC_PREFIX, MAX_ENVELOPE_BYTES, MAX_GOSSIP_FRAME_BYTES } from './constants.js'
import { SeenCache } from './seen.js'
import { RateLimiter } from './rate-limit.js'
import { Penalties } from './penalties.js'
import { toHex } from './envelope.js'
import { logger, type Log } from '../transports/log.js'

export type Verdict = { code: 'valid', envelope: ValidEnvelope } | { code: 'duplicate' } | { code: 'invalid', reason: InvalidReason | 'topic' } | { code: 'ignored', reason: 'blocked' | 'rate' }

export function channelTopic (channelId: Uint8Array): string {
  return CHANNEL_TOPIC_PREFIX + toHex(channelId)
}

/** Which kinds may travel on a topic. */
function topicAllows (topic: string, body: Body): boolean {
  if (topic === MAIL_TOPIC) return body.kind === Kind.DIRECT || body.kind === Kind.ACK
  if (topic === ANNOUNCE_TOPIC) return body.kind === Kind.ANNOUNCE
  if (topic.startsWith(CHANNEL_TOPIC_PREFIX)) {
    return (body.kind === Kind.CHANNEL || body.kind === Kind.CONTROL) && topic === channelTopic(body.to)
  }
  return false
}

/** Message id function: sha256 of the Body bytes, i.e. the envelope id. Undecodable data gets a hash of the raw bytes (it is rejected anyway). */
export function msgIdFn (msg: Message): Uint8Array {
  try {
    const env = Envelope.decode(msg.data)
    return new Uint8Array(crypto.createHash('sha256').update(env.body).digest())
  } catch {
    return new Uint8Array(crypto.createHash('sha256').update('undecodable').update(msg.data).digest())
  }
}

/** Score parameters: invalid envelopes weigh heavily on a topic. */
export function topicScore () {
  return createTopicScoreParams({
    topicWeight: 1,
    timeInMeshWeight: 0.01,
    timeInMeshQuantum: 1000,
    timeInMeshCap: 100,
    firstMessageDeliveriesWeight: 1,
    firstMessageDeliveriesDecay: 0.5,
    firstMessageDeliveriesCap: 100,
    meshMessageDeliveriesWeight: 0,
    meshFailurePenaltyWeight: 0,
    invalidMessageDeliveriesWeight: -100,
    invalidMessageDeliveriesDecay: 0.5
  })
}

/**
 * gossipsub options for funkpost (node/ passes them to gossipsub()). The mail
 * and announce topics get topic score parameters; channel topics come and go
 * at run time and gossipsub fixes its topic parameters at construction, so
 * invalid envelopes on every topic also count through the application score:
 * minus the sender's points in funkpost's penalty record (`penalties`).
 */
export function gossipOptions (opts: { penalties?: Penalties } = {}): Partial<GossipsubOpts> {
  const topics: Record<string, ReturnType<typeof topicScore>> = {}
  for (const t of [MAIL_TOPIC, ANNOUNCE_TOPIC]) topics[t] = topicScore()
  const penalties = opts.penalties
  return {
    globalSignaturePolicy: StrictNoSign,
    msgIdFn,
    allowPublishToZeroTopicPeers: true,
    ignoreDuplicatePublishError: true,
    emitSelf: false,
    canRelayMessage: true,
    // A frame, not an envelope: envelopes are size-checked by the validator (MAX_ENVELOPE_BYTES).
    maxInboundDataLength: MAX_GOSSIP_FRAME_BYTES,
    scoreParams: createPeerScoreParams({
      topics,
      IPColocationFactorWeight: 0,
      behaviourPenaltyWeight: -1,
      appSpecificScore: penalties !== undefined ? (peer: string) => -penalties.points(peer) : () => 0,
      appSpecificWeight: 1
    }),
    scoreThresholds: { gossipThreshold: -10, publishThreshold: -50, graylistThreshold: -80, acceptPXThreshold: 10, opportunisticGraftThreshold: 2 }
  }
}

export interface GossipRouterInit {
  pubsub: GossipSub
  /** Called for every valid, new envelope (not awaited by gossip). */
  onEnvelope: (env: ValidEnvelope, bytes: Uint8Array, source: string) => void
  /** Authors whose envelopes are dropped at validation. */
  isBlocked?: (author: Uint8Array) => boolean
  /** Told about each valid envelope refused because its author is blocked. */
  onBlocked?: (env: ValidEnvelope) => void
  /** Ids the node already holds (store); consulted after the seen-cache. */
  isKnown?: (id: Uint8Array) => boolean
  seen?: SeenCache
  rate?: RateLimiter
  /** Shared with gossipsub's application score and the other paths (deliver, sync) that penalise peers. @default a new ledger */
  penalties?: Penalties
  now?: () => number
  /** @default logger('funkpost:mesh:gossip') */
  log?: Log
}

export interface GossipStats {
  valid: number
  duplicate: number
  invalid: Record<string, number>
  ignored: Record<string, number>
}

/** Installs validators on topics and publishes envelopes. */
export class GossipRouter {
  readonly stats: GossipStats = { valid: 0, duplicate: 0, invalid: {}, ignored: {} }
  readonly seen: SeenCache
  readonly penalties: Penalties
  private readonly rate: RateLimiter
  private readonly topics = new Set<string>()
  private readonly log: Log

  constructor (private readonly init: GossipRouterInit) {
    this.seen = init.seen ?? new SeenCache()
    this.rate = init.rate ?? new RateLimiter()
    this.penalties = init.penalties ?? new Penalties({ now: init.now })
    this.log = init.log ?? logger('funkpost:mesh:gossip')
  }

  /** Pure verdict on bytes received from peer on topic (no side effects but the seen-cache and rate buckets). */
  judge (topic: string, data: Uint8Array, peer: string): Verdict {
    if (!this.rate.take(peer)) return { code: 'ignored', reason: 'rate' }
    let envelope: Envelope
    let body: Body
    if (data.length > MAX_ENVELOPE_BYTES) return { code: 'invalid', reason: 'oversize' }
    try {
      envelope = Envelope.decode(data)
      body = Body.decode(envelope.body)
    } catch {
      return { code: 'invalid', reason: 'malformed' }
    }
    const r = validateDecoded(envelope, body, { now: this.init.now?.() })
    if (r.code === 'invalid') return r
    if (!topicAllows(topic, body)) return { code: 'invalid', reason: 'topic' }
    if (this.init.isBlocked?.(body.from) === true) {
      this.init.onBlocked?.(r)
      return { code: 'ignored', reason: 'blocked' }
    }
    const key = toHex(r.id)
    if (!this.seen.add(key) || this.init.isKnown?.(r.id) === true) return { code: 'duplicate' }
    return { code: 'valid', envelope: r }
  }

  private readonly validator = (peer: { toString: () => string }, msg: Message): TopicValidatorResult => {
    const source = peer.toString()
    const v = this.judge(msg.topic, msg.data, source)
    switch (v.code) {
      case 'valid':
        this.stats.valid++
        // After gossipsub has forwarded it (a microtask would run first and delay the forward by the store work).
        setImmediate(() => this.init.onEnvelope(v.envelope, msg.data, source))
        return TopicValidatorResult.Accept
      case 'duplicate':
        this.stats.duplicate++
        return TopicValidatorResult.Ignore
      case 'ignored':
        this.stats.ignored[v.reason] = (this.stats.ignored[v.reason] ?? 0) + 1
        return TopicValidatorResult.Ignore
      case 'invalid':
        this.stats.invalid[v.reason] = (this.stats.invalid[v.reason] ?? 0) + 1
        if (v.reason !== 'expired' && v.reason !== 'future') this.penalties.add(source)
        this.log('rejected an envelope from %s on %s: %s', source, msg.topic, v.reason)
        return TopicValidatorResult.Reject
    }
  }

  join (topic: string): void {
    if (this.topics.has(topic)) return
    this.topics.add(topic)
    this.init.pubsub.topicValidators.set(topic, this.validator)
    this.init.pubsub.subscribe(topic)
  }

  leave (topic: string): void {
    if (!this.topics.delete(topic)) return
    this.init.pubsub.unsubscribe(topic)
    this.init.pubsub.topicValidators.delete(topic)
  }

  start (): void {
    this.join(MAIL_TOPIC)
    this.join(ANNOUNCE_TOPIC)
  }

  stop (): void {
    for (const t of [...this.topics]) this.leave(t)
  }

  /** Publish encoded envelope bytes; marks them seen so echoes are duplicates. Never throws for lack of peers. */
  async publish (topic: string, bytes: Uint8Array, id: Uint8Array): Promise<number> {
    this.seen.add(toHex(id))
    try {
      const r = await this.init.pubsub.publish(topic, bytes)
      return r.recipients.length
    } catch (err) {
      this.log('publish on %s failed: %e', topic, err)
      return 0
    }
  }

  /**
   * A peer's score: gossipsub's while it knows the peer, and never above
   * minus funkpost's own penalty record (which outlives a disconnect).
   */
  score (peer: string): number {
    // floodsub (the simulator's baseline router) keeps no scores.
    const gossip = (this.init.pubsub as unknown as { getScore?: (p: string) => number }).getScore?.(peer) ?? 0
    const points = this.penalties.points(peer)
    return points > 0 ? Math.min(gossip, -points) : gossip
  }
}
