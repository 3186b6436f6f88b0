/** Named errors of the node layer; the CLI prints `message` as the one line a user sees. */

export class IdentityExistsError extends Error {
  static override readonly name = 'IdentityExistsError'
  override readonly name = 'IdentityExistsError'
}

export class IdentityMissingError extends Error {
  static override readonly name = 'IdentityMissingError'
  override readonly name = 'IdentityMissingError'
}

export class IdentityCorruptError extends Error {
  static override readonly name = 'IdentityCorruptError'
  override readonly name = 'IdentityCorruptError'
}

export class IdentityPermissionError extends Error {
  static override readonly name = 'IdentityPermissionError'
  override readonly name = 'IdentityPermissionError'
}

export class ConfigError extends Error {
  static override readonly name = 'ConfigError'
  override readonly name = 'ConfigError'
}
