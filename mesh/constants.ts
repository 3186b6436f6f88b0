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

/** Relays store but no longer re-send an envelope whose hop count reached this (bitchat TTL 7, Meshtastic max 7). */
export const MAX_HOPS = 7

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
