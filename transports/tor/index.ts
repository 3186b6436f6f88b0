/**
 * Tor for funkpost, the lowest layer (transports/): v3 onion addresses, a
 * dial-only libp2p transport through tor's SOCKS5 port, the listen-only TCP
 * wrapper for `--only-tor`, and the torrc lines for the onion service that
 * forwards to the node's loopback TCP listener. Imports npm packages only,
 * never another funkpost folder. See docs/TOR.md.
 */
export * from './onion.js'
export * from './socks-transport.js'
export * from './torrc.js'
