/**
 * A dial-only libp2p 3 transport that opens every connection through a
 * SOCKS5 proxy (tor's SocksPort): `/onion3/<name>:<port>` always, and with
 * `onlyProxy` also `/ip4|ip6|dns|dns4|dns6/…/tcp/<port>`, so a node can make
 * no clear-net dial at all. Destinations go to the proxy as names (SOCKS5
 * remote resolution), never through local DNS.
 *
 * libp2p picks the FIRST transport (in `transports: [...]` order) whose
 * dialFilter accepts an address, so with `onlyProxy` put this transport before
 * @libp2p/tcp AND wrap tcp with `listenOnlyTcp` (see docs/TOR.md).
 */
import net from 'node:net'
import { once } from 'node:events'
import { SocksClient } from 'socks'
import {
  AbortError, InvalidParametersError, UnsupportedOperationError, serviceCapabilities, transportSymbol
} from '@libp2p/interface'
import { AbstractMultiaddrConnection } from '@libp2p/utils'
import type { AbstractMultiaddrConnectionInit, SendResult } from '@libp2p/utils'
import type {
  AbortOptions, ComponentLogger, Connection, CreateListenerOptions, DialTransportOptions, Listener, Logger, Transport
} from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Uint8ArrayList } from 'uint8arraylist'
import { parseOnion3Value } from './onion.js'

/** @default 30_000 — a Tor circuit to an onion service often takes 5–20 s. */
export const SOCKS_DIAL_TIMEOUT_MS = 30_000
/** Same inactivity timeout as @libp2p/tcp: idle sockets close after 2 min. */
export const SOCKS_INACTIVITY_TIMEOUT_MS = 120_000

export interface SocksProxyAddress { host: string, port: number }
export interface SocksDestination { host: string, port: number }

export interface SocksTransportInit {
  /** tor's SocksPort, e.g. `{ host: '127.0.0.1', port: 9050 }`. */
  proxy: SocksProxyAddress
  /** Also dial ip4/ip6/dns* TCP addresses through the proxy. @default false */
  onlyProxy?: boolean
  /** Deadline for proxy connect + SOCKS5 handshake + CONNECT. @default 30000 */
  timeoutMs?: number
  /** @default 120000 */
  inactivityTimeoutMs?: number
}

export interface SocksTransportComponents { logger: ComponentLogger }

export type SocksDialReason =
  | 'proxy-refused' // nothing listens on the proxy port (ECONNREFUSED)
  | 'proxy-unreachable' // any other error reaching the proxy
  | 'timeout' // no established tunnel within timeoutMs
  | 'rejected' // the proxy answered but refused or failed the CONNECT

export class SocksDialError extends Error {
  static override readonly name = 'SocksDialError'
  override readonly name = 'SocksDialError'
  readonly reason: SocksDialReason

  constructor (reason: SocksDialReason, message: string, options?: ErrorOptions) {
    super(message, options)
    this.reason = reason
  }
}

const hostPort = (host: string, port: number): string => net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`

/**
 * Open a TCP tunnel to `destination` through the SOCKS5 proxy, with one
 * overall deadline. The SOCKS protocol is the `socks` package's; we own the
 * socket so a deadline or abort can tear it down at any stage. Rejects with
 * SocksDialError, or AbortError when `signal` fires; never hangs.
 */
export async function socksConnect (proxy: SocksProxyAddress, destination: SocksDestination,
  options: { timeoutMs: number, signal?: AbortSignal }): Promise<net.Socket> {
  const { timeoutMs, signal } = options
  const via = `SOCKS5 proxy ${hostPort(proxy.host, proxy.port)}`
  const target = hostPort(destination.host, destination.port)
  if (signal?.aborted === true) throw new AbortError(`dial to ${target} via ${via} aborted`)

  return new Promise<net.Socket>((resolve, reject) => {
    let settled = false
    let connected = false
    const socket = net.connect({ host: proxy.host, port: proxy.port })
    socket.setNoDelay(true)

    const finish = (err?: Error): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      socket.removeListener('error', onError)
      if (err == null) { resolve(socket); return }
      socket.destroy()
      reject(err)
    }
    const onError = (err: NodeJS.ErrnoException): void => {
      if (connected) finish(new SocksDialError('rejected', `${via} dropped the tunnel to ${target}: ${err.message}`, { cause: err }))
      else if (err.code === 'ECONNREFUSED') finish(new SocksDialError('proxy-refused', `${via} refused: ${err.message}`, { cause: err }))
      else finish(new SocksDialError('proxy-unreachable', `${via} unreachable: ${err.message}`, { cause: err }))
    }
    const onAbort = (): void => { finish(new AbortError(`dial to ${target} via ${via} aborted`)) }
    const timer = setTimeout(() => {
      const stage = connected ? `no CONNECT reply for ${target}` : 'no TCP connection to the proxy'
      finish(new SocksDialError('timeout', `${via} timed out after ${timeoutMs} ms (${stage})`))
    }, timeoutMs)

    signal?.addEventListener('abort', onAbort, { once: true })
    socket.on('error', onError)
    socket.once('connect', () => {
      connected = true
      SocksClient.createConnection({
        command: 'connect',
        proxy: { host: proxy.host, port: proxy.port, type: 5 },
        destination: { host: destination.host, port: destination.port },
        existing_socket: socket,
        timeout: timeoutMs
      }).then(() => { finish() }, (err: Error) => {
        finish(new SocksDialError('rejected', `${via} could not connect to ${target}: ${err.message}`, { cause: err }))
      })
    })
  })
}

/**
 * The SOCKS destination for a multiaddr, or undefined if this transport does
 * not dial it: `/onion3/<name>:<port>` always; with `onlyProxy` also
 * `/ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>`; each optionally `/p2p/<id>`.
 */
export function socksDestination (ma: Multiaddr, onlyProxy: boolean): SocksDestination | undefined {
  const parts = ma.getComponents()
  if (parts.at(-1)?.name === 'p2p') parts.pop()
  const [a, b] = parts
  if (parts.length === 1 && a.name === 'onion3' && a.value != null) {
    try { return parseOnion3Value(a.value) } catch { return undefined }
  }
  if (!onlyProxy || parts.length !== 2 || b.name !== 'tcp' || a.value == null) return undefined
  if (!['ip4', 'ip6', 'dns', 'dns4', 'dns6'].includes(a.name)) return undefined
  const port = Number(b.value)
  return Number.isInteger(port) && port > 0 && port < 65536 ? { host: a.value, port } : undefined
}

interface SocksConnInit extends Omit<AbstractMultiaddrConnectionInit, 'direction'> {
  socket: net.Socket
  inactivityTimeout: number
}

/** A tunnelled socket as a MultiaddrConnection (after @libp2p/tcp's socket-to-conn). */
class SocksMultiaddrConnection extends AbstractMultiaddrConnection {
  private readonly socket: net.Socket
  private corked = false

  constructor (init: SocksConnInit) {
    super({ ...init, direction: 'outbound' })
    const socket = this.socket = init.socket
    socket.on('data', buf => { this.onData(buf) })
    socket.on('error', err => { this.abort(err) })
    socket.setTimeout(init.inactivityTimeout)
    socket.once('timeout', () => { this.abort(new SocksDialError('timeout', 'SOCKS tunnel idle timeout')) })
    socket.once('end', () => { this.onTransportClosed() })
    socket.once('close', hadError => {
      if (hadError) this.abort(new Error('SOCKS tunnel transmission error'))
      else this.onTransportClosed()
    })
    socket.on('drain', () => { this.safeDispatchEvent('drain') })
  }

  sendData (data: Uint8ArrayList): SendResult {
    // coalesce everything written in this tick into one segment: a relay
    // (microsocks, tor) forwards each segment it reads with its own write,
    // and Nagle on its side holds the second one for a delayed ACK (~40 ms)
    if (!this.corked) {
      this.corked = true
      this.socket.cork()
      process.nextTick(() => { this.corked = false; this.socket.uncork() })
    }
    let canSendMore = true
    for (const buf of data) canSendMore = this.socket.write(buf)
    return { sentBytes: data.byteLength, canSendMore }
  }

  async sendClose (options?: AbortOptions): Promise<void> {
    if (this.socket.destroyed) return
    const closed = once(this.socket, 'close', { signal: options?.signal })
    this.socket.destroySoon()
    // a socket 'error' while closing still ends in 'close'; only an abort counts
    await closed.catch((err: Error) => { if (err.name === 'AbortError') throw err })
  }

  sendReset (): void {
    if (this.socket.writableEnded) this.socket.destroy()
    else this.socket.resetAndDestroy()
  }

  sendPause (): void { this.socket.pause() }
  sendResume (): void { this.socket.resume() }
}

class SocksTransport implements Transport {
  readonly [transportSymbol] = true
  readonly [Symbol.toStringTag] = '@funkpost/socks5'
  readonly [serviceCapabilities]: string[] = ['@libp2p/transport']
  private readonly proxy: SocksProxyAddress
  private readonly onlyProxy: boolean
  private readonly timeoutMs: number
  private readonly inactivityTimeoutMs: number
  private readonly log: Logger

  constructor (components: SocksTransportComponents, init: SocksTransportInit) {
    this.log = components.logger.forComponent('funkpost:transports:socks')
    this.proxy = init.proxy
    this.onlyProxy = init.onlyProxy ?? false
    this.timeoutMs = init.timeoutMs ?? SOCKS_DIAL_TIMEOUT_MS
    this.inactivityTimeoutMs = init.inactivityTimeoutMs ?? SOCKS_INACTIVITY_TIMEOUT_MS
  }

  async dial (ma: Multiaddr, options: DialTransportOptions): Promise<Connection> {
    const destination = socksDestination(ma, this.onlyProxy)
    if (destination == null) throw new InvalidParametersError(`${ma.toString()} is not dialable through SOCKS5`)
    this.log('dialing %a via %s:%d', ma, this.proxy.host, this.proxy.port)
    const socket = await socksConnect(this.proxy, destination, { timeoutMs: this.timeoutMs, signal: options.signal })
    let maConn: SocksMultiaddrConnection
    try {
      maConn = new SocksMultiaddrConnection({
        socket, remoteAddr: ma, inactivityTimeout: this.inactivityTimeoutMs, log: this.log.newScope('connection')
      })
    } catch (err) {
      socket.destroy()
      throw err
    }
    try {
      return await options.upgrader.upgradeOutbound(maConn, options)
    } catch (err) {
      this.log.error('upgrading %a failed - %e', ma, err)
      maConn.abort(err as Error)
      throw err
    }
  }

  /** Dial-only, like @libp2p/webtransport: never selected for listening. */
  createListener (_options: CreateListenerOptions): Listener {
    throw new UnsupportedOperationError('the SOCKS5 transport cannot listen; tor forwards the onion service to a TCP listener')
  }

  listenFilter (_multiaddrs: Multiaddr[]): Multiaddr[] { return [] }

  dialFilter (multiaddrs: Multiaddr[]): Multiaddr[] {
    return multiaddrs.filter(ma => socksDestination(ma, this.onlyProxy) != null)
  }
}

/** `transports: [socksTransport({ proxy, onlyProxy }), ...]` */
export function socksTransport (init: SocksTransportInit): (components: SocksTransportComponents) => Transport {
  return (components) => new SocksTransport(components, init)
}

/**
 * Wrap a transport factory (normally `tcp()`) so it still listens but never
 * dials: its dialFilter returns []. With `onlyProxy`, use
 * `listenOnlyTcp(tcp())` so no clear-net dial can happen whatever the order.
 */
export function listenOnlyTcp<C> (factory: (components: C) => Transport): (components: C) => Transport {
  return (components) => {
    const transport = factory(components)
    Object.defineProperty(transport, 'dialFilter', { value: (): Multiaddr[] => [], configurable: true })
    Object.defineProperty(transport, 'dial', {
      value: async (ma: Multiaddr): Promise<Connection> => {
        throw new UnsupportedOperationError(`${transport[Symbol.toStringTag]} is listen-only here; refusing to dial ${ma.toString()}`)
      },
      configurable: true
    })
    return transport
  }
}

/**
 * connectionManager settings a Tor node needs: libp2p's defaults (10 s per
 * dial, 6 s per address, 10 s inbound upgrade) cut onion dials short. With
 * `onlyProxy`, `resolvers: {}` stops libp2p resolving /dnsaddr via local DNS.
 */
export function torConnectionManagerInit (onlyProxy: boolean): {
  dialTimeout: number, addressDialTimeout: number, inboundUpgradeTimeout: number, resolvers?: Record<string, never>
} {
  const base = { dialTimeout: 60_000, addressDialTimeout: 45_000, inboundUpgradeTimeout: 30_000 }
  return onlyProxy ? { ...base, resolvers: {} } : base
}
