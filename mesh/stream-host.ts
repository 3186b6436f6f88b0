/** The slice of a libp2p node that mesh/ and store-forward/ protocols use (public @libp2p/interface types only). */
import type { Libp2p, StreamHandler, StreamHandlerOptions, DialProtocolOptions, Stream, PeerId, AbortOptions } from '@libp2p/interface'

export type StreamHost = Pick<Libp2p, 'handle' | 'unhandle' | 'dialProtocol'>
export type { StreamHandler, StreamHandlerOptions, DialProtocolOptions, Stream, PeerId, AbortOptions }
