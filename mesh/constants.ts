/**
 * Wire-format limits and policy defaults of the mesh layer. Every number here
 * is stated, with its reason, in docs/PROTOCOL.md; change both together.
 */

/** Envelope format version this code writes and accepts. */
export const ENVELOPE_VERSION = 1

/** Largest encoded Envelope accepted from anyone, in bytes (Briar caps bodies at 32 KiB; we allow a sealed 32 KiB content plus headers). */
export const MAX_ENVELOPE_BYTES = 65536

/** How far in the future an envelope's `created` may lie (author clock skew), ms. */
export const MAX_CLOCK_SKEW_MS = 10 * 60 * 1000

/** Longest lifetime (expires - created) an envelope may ask for, ms. LXMF keeps mail 30 days. */
export const MAX_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000

/** Default lifetime of a direct message, ms. */
export const DEFAULT_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000

/** Past this many application-level hops a node stores an envelope but hands it on only to its recipient. Gossip forwarding does not count hops (gossipsub bounds flooding itself); hops count store-and-forward hand-overs (sync, custody pushes). 16 covers a 15-relay line; bitchat uses TTL 7 for BLE flooding. */
export const MAX_HOPS = 16

/** Length of keys, channel ids and envelope ids, bytes. */
export const KEY_BYTES = 32
export const ID_BYTES = 32
export const SIG_BYTES = 64

/** Domain tag prefixed to the Body bytes before signing. */
export const SIGN_DOMAIN = new TextEncoder().encode('funkpost/envelope/v1\n')

/** Padded plaintext sizes of sealed content (a 4-byte length prefix is included). */
export const PAD_BUCKETS = [256, 1024, 4096, 16384, 32768] as const

/** Largest content that can be sealed: the last bucket minus the length prefix. */
export const MAX_CONTENT_BYTES = PAD_BUCKETS[PAD_BUCKETS.length - 1] - 4

/** HKDF info string of the sealed box. */
export const SEAL_INFO = new TextEncoder().encode('funkpost/seal/v1')

/** Gossipsub topic of DIRECT and ACK envelopes. */
export const MAIL_TOPIC = '/funkpost/mail/1'
/** Gossipsub topic of ANNOUNCE envelopes. */
export const ANNOUNCE_TOPIC = '/funkpost/announce/1'
/** Prefix of channel topics: CHANNEL_TOPIC_PREFIX + hex(channel id). */
export const CHANNEL_TOPIC_PREFIX = '/funkpost/channel/1/'

/** Stream protocols. */
export const DELIVER_PROTOCOL = '/funkpost/deliver/1.0.0'
export const SYNC_PROTOCOL = '/funkpost/sync/1.0.0'
/** Private kad-dht protocol: never the public IPFS DHT. */
export const DHT_PROTOCOL = '/funkpost/kad/1.0.0'

/** Largest gossipsub RPC frame read from a peer, bytes. Well above one envelope, so an oversize envelope reaches the validator and is rejected and scored (a frame over this limit kills the peer's gossip stream and gossipsub forgets its score); room for an IHAVE of 5,000 ids (~170 KB) and IWANT replies that batch many envelopes. Bounded for routers. */
export const MAX_GOSSIP_FRAME_BYTES = 1024 * 1024

/** Seen-cache of envelope ids: at most this many, each for at most SEEN_TTL_MS (bitchat: 1,000 for 5 min; we see more traffic per node). */
export const SEEN_MAX = 20000
export const SEEN_TTL_MS = 30 * 60 * 1000

/** Per-peer rate limit on gossip: sustained envelopes/s and burst. */
export const RATE_PER_SEC = 100
export const RATE_BURST = 500
/** Peers tracked by the rate limiter at once (least recently seen dropped). */
export const RATE_MAX_PEERS = 4096

/** Penalty points for one invalid envelope (the same weight gossipsub's topic score gives one invalid delivery). */
export const PENALTY_PER_INVALID = 100
/** A peer's penalty points halve every this many ms. */
export const PENALTY_HALF_LIFE_MS = 10 * 60 * 1000
/** Peers remembered with a penalty at once (the least recently penalised dropped first). */
export const PENALTY_MAX_PEERS = 4096

/** Deliver protocol: whole exchange timeout, ms. */
export const DELIVER_TIMEOUT_MS = 10000

/** ANNOUNCE: refresh interval and lifetime, ms; limits on its content. */
export const ANNOUNCE_INTERVAL_MS = 5 * 60 * 1000
export const ANNOUNCE_LIFETIME_MS = 30 * 60 * 1000
export const ANNOUNCE_MAX_ADDRS = 16
export const ANNOUNCE_MAX_NAME = 64
