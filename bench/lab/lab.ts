/**
 * A lab mesh: namespaces and veth links for a graph, one `funkpost start`
 * per namespace that --bootstrap's exactly its radio neighbours' link
 * addresses (or finds them by mDNS), and the measurements the lab makes:
 * delivery latency, convergence after links come up, loss under flapping.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Netlab, type Link } from './netns.js'
import { LabNode, initHome, PORT } from './proc.js'
import { summarize, type LatencySummary } from '../sim/report.js'

export type Edge = [number, number]

export interface LabInit {
  n: number
  edges: Edge[]
  tag: string
  /** Links made slow with tbf (indices into edges). */
  slow?: number[]
  /** Find neighbours by mDNS instead of --bootstrap (single-link namespaces only). */
  mdns?: boolean
  log?: (line: string) => void
}

const sleep = async (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

export class Lab {
  readonly net: Netlab
  readonly nodes: LabNode[] = []
  readonly links: Link[] = []
  private readonly dir: string
  private readonly log: (line: string) => void

  private constructor (readonly init: LabInit) {
    this.log = init.log ?? (() => {})
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `fplab-${process.pid}-`))
    this.net = new Netlab(init.n, init.tag)
  }

  static async start (init: LabInit): Promise<Lab> {
    const lab = new Lab(init)
    try {
      await lab.boot()
    } catch (err) {
      await lab.close()
      throw err
    }
    return lab
  }

  private async boot (): Promise<void> {
    const { n, edges } = this.init
    for (const [a, b] of edges) this.links.push(this.net.link(a, b))
    for (const k of this.init.slow ?? []) this.net.slow(this.links[k])
    const ids = Array.from({ length: n }, (_, i) => initHome(path.join(this.dir, `n${i}`), `n${i}`))
    for (let i = 0; i < n; i++) this.nodes.push(new LabNode(i, this.net.ns[i], path.join(this.dir, `n${i}`), ids[i]))
    const t = Date.now()
    await Promise.all(this.nodes.map(async node => {
      const args = ['--listen', `/ip4/0.0.0.0/tcp/${PORT}`, '--no-dht']
      if (this.init.mdns === true) {
        const l = this.links.find(x => x.a === node.index || x.b === node.index) as Link
        this.net.multicast(node.index, l.a === node.index ? l.devA : l.devB)
        args.push('--mdns')
      } else {
        args.push('--no-mdns')
        for (const l of this.links) {
          if (l.a === node.index) args.push('--bootstrap', `/ip4/${l.ipB}/tcp/${PORT}/p2p/${ids[l.b]}`)
          if (l.b === node.index) args.push('--bootstrap', `/ip4/${l.ipA}/tcp/${PORT}/p2p/${ids[l.a]}`)
        }
      }
      await node.start(args)
    }))
    this.log(`${n} nodes started in ${Date.now() - t} ms`)
  }

  degree (i: number): number { return this.links.filter(l => l.a === i || l.b === i).length }

  /** Until every node is connected to all its (up) radio neighbours; returns the ms it took. */
  async connected (timeoutMs = 30_000, up: (l: Link) => boolean = () => true): Promise<number> {
    const t = Date.now()
    for (;;) {
      const peers = await Promise.all(this.nodes.map(async x => (await x.call<{ peers: number }>('status')).peers))
      if (peers.every((p, i) => p >= this.links.filter(l => (l.a === i || l.b === i) && up(l)).length)) return Date.now() - t
      if (Date.now() - t > timeoutMs) throw new Error(`not connected after ${timeoutMs} ms: peers ${JSON.stringify(peers)}`)
      await sleep(200)
    }
  }

  /** Messages sent so far: id, sender, recipient, send time. */
  readonly sent: Array<{ id: string, from: number, to: number, at: number }> = []

  async send (from: number, to: number, text: string): Promise<string> {
    const r = await this.nodes[from].send(this.nodes[to].id, text)
    this.sent.push({ id: r.id, from, to, at: r.at })
    return r.id
  }

  undelivered (): Array<{ id: string, from: number, to: number }> {
    return this.sent.filter(s => this.nodes[s.to].receivedAt(s.id) === undefined)
  }

  /** Until every message sent so far has arrived (bounded); returns when the last one did (ms since epoch) or undefined on timeout. */
  async allDelivered (timeoutMs: number): Promise<number | undefined> {
    const deadline = Date.now() + timeoutMs
    while (this.undelivered().length > 0) {
      if (Date.now() > deadline) return undefined
      await sleep(50)
    }
    return Math.max(...this.sent.map(s => this.nodes[s.to].receivedAt(s.id) as number))
  }

  latencies (): LatencySummary {
    return summarize(this.sent.flatMap(s => {
      const r = this.nodes[s.to].receivedAt(s.id)
      return r === undefined ? [] : [r - s.at]
    }))
  }

  /** Receipts: every message exactly once (no duplicates in anyone's event log). */
  duplicates (): number {
    let d = 0
    for (const node of this.nodes) {
      const ids = node.events.filter(e => e.event === 'message').map(e => String(e.data.id))
      d += ids.length - new Set(ids).size
    }
    return d
  }

  setLink (k: number, up: boolean): void { this.net.setLink(this.links[k], up) }

  async close (): Promise<void> {
    await Promise.all(this.nodes.map(async x => x.stop()))
    this.net.cleanup()
    fs.rmSync(this.dir, { recursive: true, force: true })
  }
}

export function lineEdges (n: number): Edge[] {
  return Array.from({ length: n - 1 }, (_, i) => [i, i + 1] as Edge)
}

export function gridEdges (w: number, h: number): Edge[] {
  const e: Edge[] = []
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x
      if (x + 1 < w) e.push([i, i + 1])
      if (y + 1 < h) e.push([i, i + w])
    }
  }
  return e
}

/** Two lines of `half` nodes joined end to end by one link (the last edge). */
export function islandEdges (half: number): Edge[] {
  const a = lineEdges(half)
  const b = lineEdges(half).map(([x, y]) => [x + half, y + half] as Edge)
  return [...a, ...b, [half - 1, half]]
}
