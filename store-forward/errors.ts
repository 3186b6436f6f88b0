/** Named errors of the store-and-forward layer. */

export class QuotaExceededError extends Error {
  static override readonly name = 'QuotaExceededError'
  override readonly name = 'QuotaExceededError'
}

export class SyncProtocolError extends Error {
  static override readonly name = 'SyncProtocolError'
  override readonly name = 'SyncProtocolError'
}
