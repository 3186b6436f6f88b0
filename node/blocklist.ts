/**
 * Authors this user blocked (hex keys), persisted in the `block` sublevel
 * and mirrored in memory: gossip drops their envelopes at validation, the
 * mailroom refuses their mail to this node.
 */
import type { Sub } from '../store-forward/db.js'

export class Blocklist {
  private readonly keys = new Set<string>()

  private constructor (private readonly sub: Sub<unknown>, private readonly now: () => number) {}

  static async open (sub: Sub<unknown>, now: () => number = Date.now): Promise<Blocklist> {
    const b = new Blocklist(sub, now)
    for await (const key of sub.keys()) b.keys.add(key)
    return b
  }

  has (keyHex: string): boolean { return this.keys.has(keyHex) }

  async add (keyHex: string): Promise<void> {
    await this.sub.put(keyHex, { at: this.now() })
    this.keys.add(keyHex)
  }

  async remove (keyHex: string): Promise<void> {
    await this.sub.del(keyHex)
    this.keys.delete(keyHex)
  }
}
