/** Builds the one libp2p node of a funkpost node from its identity key. node/ is the only place where everything meets. */
import { createLibp2p, type Libp2p } from 'libp2p'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify, identifyPush } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { floodsub } from '@libp2p/floodsub'
import type { KadDHT } from '@libp2p/kad-dht'
import type { ComponentLogger, Ed25519PrivateKey } from '@libp2p/interface'
import { assembleTransports, privateDht, torConnectionManagerInit, type TransportInit } from '../transports/index.js'
import { gossipOptions } from '../mesh/gossip.js'
import type { Penalties } from '../mesh/penalties.js'
import type { Profile } from './profiles.js'

export interface FunkpostServices {
  identify: ReturnType<ReturnType<typeof identify>>
  identifyPush: ReturnType<ReturnType<typeof identifyPush>>
  ping: ReturnType<ReturnType<typeof ping>>
  pubsub: GossipSub
  dht?: KadDHT
  [key: string]: unknown
}

export type FunkpostLibp2p = Libp2p<FunkpostServices>

export interface Libp2pInit extends TransportInit {
  privateKey: Ed25519PrivateKey
  profile: Profile
  dht?: boolean
  /** Addresses to announce instead of the listen addresses (e.g. the onion). Listen addresses stay too. */
  announce?: string[]
  /**
   * The pubsub router. floodsub is the simulator's baseline only (it signs
   * each publish with the libp2p key: its StrictNoSign receive path drops
   * every message); it exposes the subset of the GossipSub API GossipRouter uses.
   * @default 'gossipsub'
   */
  pubsub?: 'gossipsub' | 'floodsub'
  /** funkpost's penalty record, shared with the gossip router: gossipsub's application score. */
  penalties?: Penalties
  /** Loggers for libp2p and its services (funkpost's levelled ones). */
  logger?: ComponentLogger
}

export async function buildLibp2p (init: Libp2pInit): Promise<FunkpostLibp2p> {
  const { transports, peerDiscovery } = assembleTransports(init)
  const services: Record<string, unknown> = {
    identify: identify(),
    identifyPush: identifyPush(),
    ping: ping(),
    pubsub: init.pubsub === 'floodsub' ? floodsub({ canRelayMessage: true }) : gossipsub(gossipOptions({ penalties: init.penalties }))
  }
  if (init.dht !== false) services.dht = privateDht()
  const node = await createLibp2p({
    privateKey: init.privateKey,
    addresses: { listen: init.listen, appendAnnounce: init.announce ?? [] },
    transports,
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery,
    connectionManager: {
      maxConnections: init.profile.maxConnections,
      // libp2p's default admits 5 inbound connections per second per host; a LAN gateway or a loopback test needs more.
      inboundConnectionThreshold: 100,
      maxIncomingPendingConnections: 32,
      dialTimeout: 10000,
      // Through Tor, dials take longer, and with --only-tor nothing is resolved locally.
      ...(init.torSocks !== undefined ? torConnectionManagerInit(init.onlyTor === true) : {})
    },
    services: services as never,
    ...(init.logger !== undefined ? { logger: init.logger } : {}),
    start: false
  })
  return node as unknown as FunkpostLibp2p
}
