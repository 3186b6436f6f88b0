/**
 * transports/: the lowest layer. Assembles libp2p transports and discovery
 * for a node: TCP (default), the memory transport (tests, simulations),
 * Tor/SOCKS5 dialing (transports/tor), mDNS, bootstrap, and the private
 * kad-dht. Imports npm packages only, never another funkpost folder.
 */
import { tcp } from '@libp2p/tcp'
import { memory } from '@libp2p/memory'
import { mdns } from '@libp2p/mdns'
import { bootstrap } from '@libp2p/bootstrap'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { multiaddr } from '@multiformats/multiaddr'
import type { Libp2pOptions } from 'libp2p'
import type { PeerDiscovery, PeerInfo } from '@libp2p/interface'
import { socksTransport, listenOnlyTcp } from './tor/index.js'

export * from './tor/index.js'

/** Private DHT protocol: never the public IPFS DHT. */
export const FUNKPOST_DHT_PROTOCOL = '/funkpost/kad/1.0.0'

export interface TransportInit {
  /** Listen multiaddrs (/ip4/…/tcp/…, /memory/…). */
  listen: string[]
  /** Use the in-process memory transport (tests, simulator). */
  memory?: boolean
  /** mDNS on the LAN. @default true */
  mdns?: boolean
  /** mDNS query interval, ms. @default 10000 */
  mdnsIntervalMs?: number
  /** Bootstrap multiaddrs with /p2p/ ids (others are dialled by the node itself). */
  bootstrap?: string[]
  /** SOCKS5 proxy of a local tor, "host:port". */
  torSocks?: { host: string, port: number }
  /** Every outbound connection through the proxy; mDNS off. */
  onlyTor?: boolean
  /** Proxy dial timeout, ms. */
  torTimeoutMs?: number
  /**
   * Called for each peer a discovery module (mDNS, bootstrap) reports. libp2p's
   * own 'peer:discovery' event fires for every new peer-store entry (inbound
   * connections, DHT answers) too, so it is no signal to dial.
   */
  onDiscovered?: (peer: PeerInfo) => void
}

/** A discovery module whose 'peer' events also go to `on`. */
function tapped<C> (factory: (components: C) => PeerDiscovery, on?: (peer: PeerInfo) => void): (components: C) => PeerDiscovery {
  if (on === undefined) return factory
  return (components) => {
    const d = factory(components)
    d.addEventListener('peer', (evt) => { on(evt.detail) })
    return d
  }
}

type Transports = NonNullable<Libp2pOptions['transports']>
type Discovery = NonNullable<Libp2pOptions['peerDiscovery']>

export function assembleTransports (init: TransportInit): { transports: Transports, peerDiscovery: Discovery } {
  const transports: Transports = []
  if (init.memory === true) transports.push(memory())
  if (init.torSocks !== undefined) {
    // First, so /onion3 (and with onlyTor everything) is dialled through the proxy.
    transports.push(socksTransport({ proxy: init.torSocks, onlyProxy: init.onlyTor === true, timeoutMs: init.torTimeoutMs }))
  }
  if (init.memory !== true || init.listen.some(a => a.includes('/tcp/'))) {
    transports.push(init.onlyTor === true ? listenOnlyTcp(tcp()) : tcp())
  }
  const peerDiscovery: Discovery = []
  if (init.mdns !== false && init.onlyTor !== true && init.memory !== true) {
    peerDiscovery.push(tapped(mdns({ interval: init.mdnsIntervalMs ?? 10000, serviceTag: '_funkpost._udp.local' }), init.onDiscovered))
  }
  const withIds = (init.bootstrap ?? []).filter(a => a.includes('/p2p/'))
  if (withIds.length > 0) peerDiscovery.push(tapped(bootstrap({ list: withIds, timeout: 100 }), init.onDiscovered))
  return { transports, peerDiscovery }
}

/** Private kad-dht: own protocol, server mode, private addresses kept (Freifunk runs on 10.x and ULA). */
export function privateDht () {
  return kadDHT({
    protocol: FUNKPOST_DHT_PROTOCOL,
    clientMode: false,
    peerInfoMapper: passthroughMapper,
    allowQueryWithZeroPeers: true
  })
}

/** Parse "host:port" (IPv6 in brackets) for --tor-socks. */
export function parseHostPort (s: string): { host: string, port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(s.trim())
  const port = m !== null ? Number(m[2]) : NaN
  if (m === null || !(port >= 1 && port <= 65535)) throw new Error(`"${s}" is not HOST:PORT (e.g. 127.0.0.1:9050)`)
  return { host: m[1], port }
}

/** Throws a readable error for a malformed multiaddr. */
export function checkMultiaddr (s: string): string {
  try {
    multiaddr(s)
  } catch (err) {
    throw new Error(`"${s}" is not a multiaddr (${(err as Error).message}); e.g. /ip4/10.0.0.5/tcp/7337/p2p/12D3KooW…`)
  }
  return s
}
