import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import crypto from 'node:crypto'
import readline from 'node:readline'
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { startNode, waitFor, stopAll, tempHome, sleep } from './helpers.js'
import type { HistoryEntry } from '../../store-forward/history.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const repo = path.resolve(here, '../..')
const MESSAGES = 300

/** Bundle the child's entry inside the repo (node_modules resolution for classic-level). */
async function bundle (): Promise<string> {
  const outfile = path.join(here, 'fixtures', '.build', `crash-node-${process.pid}.mjs`)
  await build({
    entryPoints: [path.join(here, 'fixtures', 'crash-node.ts')],
    bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile, external: ['classic-level'], logLevel: 'warning',
    banner: { js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" }
  })
  return outfile
}

interface Event { event: string, [k: string]: unknown }

/** A node process: JSON commands in, JSON events out. */
class Child {
  readonly proc: ChildProcess
  readonly events: Event[] = []
  private readonly waiters = new Set<() => void>()
  constructor (entry: string, home: string, seed: Buffer) {
    this.proc = spawn(process.execPath, ['--import', './node/polyfill.js', entry, home, seed.toString('hex')], { cwd: repo, stdio: ['pipe', 'pipe', 'inherit'] })
    readline.createInterface({ input: this.proc.stdout! }).on('line', line => {
      try { this.events.push(JSON.parse(line) as Event) } catch { return }
      for (const w of this.waiters) w()
    })
  }

  send (cmd: object): void { this.proc.stdin!.write(JSON.stringify(cmd) + '\n') }

  async next (what: string, pred: (e: Event) => boolean, ms = 15000): Promise<Event> {
    return waitFor(what, () => this.events.find(pred), ms, 10)
  }

  /** Call fn on every event from now on, synchronously (so a kill lands exactly there). */
  onEvent (fn: (e: Event) => void): void {
    let seen = this.events.length
    const w = (): void => { while (seen < this.events.length) fn(this.events[seen++]) }
    this.waiters.add(w)
  }

  async exit (): Promise<number | null> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return this.proc.exitCode
    return new Promise(resolve => this.proc.once('exit', code => resolve(code)))
  }
}

t.test(`crash: a sender process with ${MESSAGES} queued envelopes is SIGKILLed mid-send and restarted; every message arrives exactly once`, async t => {
  const entry = await bundle()
  t.teardown(() => fs.rmSync(entry, { force: true }))
  const receiver = await startNode({ name: 'receiver' })
  t.teardown(() => stopAll([receiver]))
  const counts = new Map<string, number>()
  const texts = new Map<string, number>()
  receiver.on('message', (e: HistoryEntry) => {
    counts.set(e.id, (counts.get(e.id) ?? 0) + 1)
    texts.set(e.text, (texts.get(e.text) ?? 0) + 1)
  })
  const home = tempHome('fp-crash-')
  const seed = crypto.randomBytes(32)

  const first = new Child(entry, home, seed)
  t.teardown(() => { first.proc.kill('SIGKILL') })
  const ready = await first.next('first start', e => e.event === 'ready')
  first.send({ cmd: 'send', to: receiver.id, n: MESSAGES })
  const sent = await first.next('queued', e => e.event === 'sent', 30000)
  t.equal(sent.outbox, MESSAGES, `${MESSAGES} envelopes queued with no peer connected`)
  t.equal(counts.size, 0)

  let killedAt = -1
  first.onEvent(e => {
    if (killedAt < 0 && e.event === 'outbox' && (e.size as number) <= MESSAGES - 40) {
      killedAt = e.size as number
      first.proc.kill('SIGKILL')
    }
  })
  first.send({ cmd: 'dial', addr: receiver.addrs()[0] })
  await first.exit()
  t.equal(first.proc.signalCode, 'SIGKILL', 'killed')
  t.ok(killedAt > 0 && killedAt < MESSAGES, `killed mid-send: ${killedAt} of ${MESSAGES} still in its outbox at the kill`)
  t.comment(`at the kill: receiver had ${counts.size}, sender's outbox ${killedAt}`)
  void ready

  const second = new Child(entry, home, seed)
  t.teardown(() => { second.proc.kill('SIGKILL') })
  const again = await second.next('restart on the same home', e => e.event === 'ready')
  t.equal(again.id, ready.id, 'same identity')
  t.ok((again.outbox as number) > 0, `the restarted sender still has ${String(again.outbox)} entries to send`)
  second.send({ cmd: 'dial', addr: receiver.addrs()[0] })
  await waitFor('receiver has every message', () => counts.size === MESSAGES, 30000)
  let last: Event | undefined
  await waitFor('sender outbox empty', async () => {
    second.send({ cmd: 'status' })
    await sleep(100)
    last = [...second.events].reverse().find(e => e.event === 'status')
    return last?.outbox === 0
  }, 30000, 150)
  await sleep(1000) // any late duplicate would show now
  t.equal(counts.size, MESSAGES, 'every message delivered')
  t.same([...counts.values()].filter(c => c !== 1), [], 'none twice (per id)')
  t.equal(texts.size, MESSAGES, 'every text once')
  t.equal(last?.outbox, 0, 'sender\'s outbox ends empty')
  t.equal(last?.delivered, MESSAGES, 'sender\'s history shows every message delivered')
  second.proc.stdin!.end()
  await second.exit()
})
