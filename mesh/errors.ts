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

export class WrongPassphraseError extends Error {
  static override readonly name = 'WrongPassphraseError'
  override readonly name = 'WrongPassphraseError'
}

export class DamagedFileError extends Error {
  static override readonly name = 'DamagedFileError'
  override readonly name = 'DamagedFileError'
}

export class WeakPassphraseError extends Error {
  static override readonly name = 'WeakPassphraseError'
  override readonly name = 'WeakPassphraseError'
}
