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

export class UnknownContactError extends Error {
  static override readonly name = 'UnknownContactError'
  override readonly name = 'UnknownContactError'
}

export class KeyChangedError extends Error {
  static override readonly name = 'KeyChangedError'
  override readonly name = 'KeyChangedError'
}

export class ContactExistsError extends Error {
  static override readonly name = 'ContactExistsError'
  override readonly name = 'ContactExistsError'
}

export class NoDaemonError extends Error {
  static override readonly name = 'NoDaemonError'
  override readonly name = 'NoDaemonError'
}

export class DaemonRunningError extends Error {
  static override readonly name = 'DaemonRunningError'
  override readonly name = 'DaemonRunningError'
}

export class InvalidInviteError extends Error {
  static override readonly name = 'InvalidInviteError'
  override readonly name = 'InvalidInviteError'
}

export class InvalidArgumentError extends Error {
  static override readonly name = 'InvalidArgumentError'
  override readonly name = 'InvalidArgumentError'
}

export class NotStartedError extends Error {
  static override readonly name = 'NotStartedError'
  override readonly name = 'NotStartedError'
}

export class ListenError extends Error {
  static override readonly name = 'ListenError'
  override readonly name = 'ListenError'
}
