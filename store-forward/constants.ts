/** Defaults of the store-and-forward layer; every number is in docs/PROTOCOL.md with its reason. */

/** How often expired envelopes, tombstones and stale outbox entries are swept, ms. */
export const SWEEP_INTERVAL_MS = 60 * 1000

/** Outbox retry backoff: first retry after BASE, doubling up to MAX; each delay is scaled by a random factor in [1 - JITTER, 1]. */
export const BACKOFF_BASE_MS = 2000
export const BACKOFF_MAX_MS = 10 * 60 * 1000
export const BACKOFF_JITTER = 0.5

/** A LOW-priority outbox entry (typing, presence) older than this is dropped, not sent late. */
export const LOW_STALE_MS = 60 * 1000

/** Sync: periodic reconciliation with one random neighbour, ms. */
export const SYNC_INTERVAL_MS = 30 * 1000
/** Sync: largest frame on the wire (bytes, after the length prefix). */
export const SYNC_MAX_FRAME = 128 * 1024
/** Sync: most reconciliation rounds in one session. */
export const SYNC_MAX_ROUNDS = 64
/** Sync: most envelopes a peer may want from us in one session. */
export const SYNC_MAX_WANT = 20000
/** Sync: whole-session timeout, ms. */
export const SYNC_TIMEOUT_MS = 60 * 1000

/** Sync: width of range fingerprints on the wire (8: wire version 0x47, salted per session; meets the byte budget at 100,000 items — docs/SYNC.md). */
export const SYNC_FINGERPRINT_BYTES = 8
