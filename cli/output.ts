/** Output for people and for scripts: one place decides text vs --json and how errors look. */

export class UsageError extends Error {
  static override readonly name = 'UsageError'
  override readonly name = 'UsageError'
}

export interface Out {
  json: boolean
  /** Print a value: JSON when --json, else the text the caller renders. */
  print: (value: unknown, text?: () => string) => void
}

export function makeOut (json: boolean): Out {
  return {
    json,
    print (value, text) {
      if (json) process.stdout.write(JSON.stringify(value) + '\n')
      else process.stdout.write((text !== undefined ? text() : String(value)) + '\n')
    }
  }
}

/** Every failure ends here: one clear line on stderr (or a JSON error object), exit code 1. */
export function fail (err: unknown, json: boolean): never {
  const e = err as Error
  const message = e?.message ?? String(err)
  if (json) process.stderr.write(JSON.stringify({ error: e?.name ?? 'Error', message }) + '\n')
  else process.stderr.write(`funkpost: ${message}\n`)
  process.exit(e?.name === 'UsageError' ? 2 : 1)
}
