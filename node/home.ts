/** Where a node keeps its files: --home, else $FUNKPOST_HOME, else ~/.funkpost. */
import os from 'node:os'
import path from 'node:path'

export function resolveHome (flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  const home = flag ?? env.FUNKPOST_HOME ?? path.join(os.homedir(), '.funkpost')
  return path.resolve(home)
}
