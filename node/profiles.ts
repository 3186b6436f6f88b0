/**
 * The two resource profiles. Router-sized defaults are one documented
 * profile, not scattered ifs (STYLE 4). Numbers and reasons: docs/PROTOCOL.md
 * ("Custody policy") and docs/OPERATOR.md.
 */

export type ProfileName = 'router' | 'laptop'

export interface Profile {
  /** Total bytes of envelopes held for others. */
  custodyBytes: number
  /** Bytes held for any one author (one flooder cannot fill the store). */
  custodyPerAuthorBytes: number
  /** Bytes held for any one recipient. */
  custodyPerRecipientBytes: number
  /** Envelopes in the outbox (own undelivered mail). */
  outboxMax: number
  /** Connection manager limits. */
  maxConnections: number
  /** Announced peers kept in the directory. */
  directoryMax: number
}

export const PROFILES: Record<ProfileName, Profile> = {
  router: {
    custodyBytes: 32 * 1024 * 1024,
    custodyPerAuthorBytes: 2 * 1024 * 1024,
    custodyPerRecipientBytes: 4 * 1024 * 1024,
    outboxMax: 1000,
    maxConnections: 64,
    directoryMax: 1000
  },
  laptop: {
    custodyBytes: 256 * 1024 * 1024,
    custodyPerAuthorBytes: 16 * 1024 * 1024,
    custodyPerRecipientBytes: 32 * 1024 * 1024,
    outboxMax: 10000,
    maxConnections: 256,
    directoryMax: 10000
  }
}

export const DEFAULT_PROFILE: ProfileName = 'laptop'

/** Default TCP port of a node (listen on all interfaces, IPv4 and IPv6). */
export const DEFAULT_PORT = 7337

export const DEFAULT_LISTEN = [`/ip4/0.0.0.0/tcp/${DEFAULT_PORT}`, `/ip6/::/tcp/${DEFAULT_PORT}`]
