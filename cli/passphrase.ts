/**
 * Where a passphrase comes from: --passphrase-file (its first line), the
 * FUNKPOST_PASSPHRASE environment variable, or a prompt on the terminal
 * that echoes nothing (typed twice when a file is being sealed).
 */
import fs from 'node:fs'
import { UsageError } from './output.js'

/** Read one line from the terminal without echoing it. */
async function prompt (question: string): Promise<string> {
  const stdin = process.stdin
  process.stderr.write(question)
  stdin.setRawMode(true)
  stdin.resume()
  stdin.setEncoding('utf8')
  return new Promise((resolve, reject) => {
    let typed = ''
    const done = (err?: Error): void => {
      stdin.setRawMode(false)
      stdin.pause()
      stdin.off('data', onData)
      process.stderr.write('\n')
      if (err !== undefined) reject(err); else resolve(typed)
    }
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') { done(); return }
        if (ch === '\u0003') { done(new UsageError('cancelled')); return }
        if (ch === '\u007f' || ch === '\b') typed = [...typed].slice(0, -1).join('')
        else if (ch >= ' ') typed += ch
      }
    }
    stdin.on('data', onData)
  })
}

export async function readPassphrase (opts: { file?: string, confirm?: boolean }): Promise<string> {
  if (opts.file !== undefined) {
    let text: string
    try {
      text = fs.readFileSync(opts.file, 'utf8')
    } catch (err) {
      throw new UsageError(`cannot read the passphrase file ${opts.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
    }
    return text.split(/\r?\n/)[0]
  }
  const env = process.env.FUNKPOST_PASSPHRASE
  if (env !== undefined && env !== '') return env
  if (process.stdin.isTTY !== true) throw new UsageError('no passphrase: give --passphrase-file FILE or FUNKPOST_PASSPHRASE, or run it in a terminal')
  const first = await prompt('passphrase: ')
  if (opts.confirm === true && await prompt('again: ') !== first) throw new UsageError('the two passphrases differ')
  return first
}
