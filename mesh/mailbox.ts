/**
 * Mailboxes: where mail for an absent recipient is held in a routed mesh.
 * The mailbox of a recipient key R is the MAILBOX_REPLICAS nodes closest
 * (kad-dht XOR distance) to mailboxKey(R) among the nodes online; senders
 * hand mail to them, the recipient connects to them to collect it.
 */
import crypto from 'node:crypto'

/** Nodes that hold an undelivered DM in a routed mesh (besides its author). */
export const MAILBOX_REPLICAS = 3
/** Domain tag of the mailbox key. */
export const MAILBOX_DOMAIN = new TextEncoder().encode('funkpost/mailbox/v1\n')

/** mailboxKey(R) = SHA-256("funkpost/mailbox/v1\n" ‖ R), the DHT key whose closest nodes hold R's mail. */
export function mailboxKey (recipient: Uint8Array): Uint8Array {
  return new Uint8Array(crypto.createHash('sha256').update(MAILBOX_DOMAIN).update(recipient).digest())
}
