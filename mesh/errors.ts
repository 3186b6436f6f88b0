/** Named errors of the mesh layer; tests assert `name`. */

export class InvalidKeyError extends Error {
  static override readonly name = 'InvalidKeyError'
  override readonly name = 'InvalidKeyError'
}

export class ContentTooLargeError extends Error {
  static override readonly name = 'ContentTooLargeError'
  override readonly name = 'ContentTooLargeError'
}

export class OpenFailedError extends Error {
  static override readonly name = 'OpenFailedError'
  override readonly name = 'OpenFailedError'
}

export class InvalidEnvelopeError extends Error {
  static override readonly name = 'InvalidEnvelopeError'
  override readonly name = 'InvalidEnvelopeError'
}
