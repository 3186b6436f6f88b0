/**
 * The Freifunk lab's plumbing: one network namespace per node, a veth pair
 * per radio link with a test-only private /30 (10.201.0.0/16), no IP
 * forwarding (every hop is an application-level relay), links that go
 * down/up, slow links (tbf), and a multicast route for mDNS. Everything is
 * named with a unique prefix (fpl<tag><pid>n…) and removed by cleanup() —
 * also on exit (an uncaught failure included), SIGINT and SIGTERM. Root only.
 */
import { spawnSync } from 'node:child_process'

export class LabError extends Error {
  override readonly name = 'LabError'
}

export function sh (cmd: string, args: string[], timeoutMs = 10_000): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs })
  if (r.status !== 0) throw new LabError(`${cmd} ${args.join(' ')}: ${(r.stderr ?? r.error?.message ?? '').trim()}`)
  return r.stdout
}

/** Why the lab cannot run here, or undefined. */
export function labUnavailable (): string | undefined {
  if (process.getuid?.() !== 0) return 'the lab needs root (network namespaces)'
  const probe = `fplprobe${process.pid}`
  const r = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' })
  if (r.error !== undefined) return `no ip command: ${r.error.message}`
  if (r.status !== 0) return `cannot create a network namespace: ${r.stderr.trim()}`
  spawnSync('ip', ['netns', 'del', probe])
  return undefined
}

/** Namespaces whose name starts with `prefix`. */
export function namespacesWith (prefix: string): string[] {
  return sh('ip', ['netns', 'list']).split('\n').map(l => l.split(' ')[0]).filter(n => n.startsWith(prefix))
}

export interface Link { a: number, b: number, devA: string, devB: string, ipA: string, ipB: string }

const live = new Set<Netlab>()
let hooked = false
function hookExit (): void {
  if (hooked) return
  hooked = true
  const all = (): void => { for (const l of live) l.cleanup() }
  process.once('exit', all)
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => { all(); process.exit(130) })
  }
}

export class Netlab {
  readonly prefix: string
  readonly ns: string[] = []
  readonly links: Link[] = []
  private closed = false

  /** `tag`: a few letters; namespaces are named fpl<tag><pid>n<i>. */
  constructor (n: number, tag = 'x') {
    this.prefix = `fpl${tag}${process.pid}n`
    hookExit()
    live.add(this)
    try {
      for (let i = 0; i < n; i++) {
        const name = `${this.prefix}${i}`
        sh('ip', ['netns', 'add', name])
        this.ns.push(name)
        sh('ip', ['-n', name, 'link', 'set', 'lo', 'up'])
        // No forwarding: a node is an end host; relaying happens in funkpost only.
        sh('ip', ['netns', 'exec', name, 'sysctl', '-qw', 'net.ipv4.ip_forward=0'])
      }
    } catch (err) {
      this.cleanup()
      throw err
    }
  }

  /** A radio link between nodes a and b: a veth pair with a /30 of its own. */
  link (a: number, b: number): Link {
    const k = this.links.length
    const third = 1 + (k >> 6); const fourth = (k & 63) * 4
    const ipA = `10.201.${third}.${fourth + 1}`; const ipB = `10.201.${third}.${fourth + 2}`
    const devA = `v${k}a${b}`.slice(0, 15); const devB = `v${k}b${a}`.slice(0, 15)
    sh('ip', ['link', 'add', devA, 'netns', this.ns[a], 'type', 'veth', 'peer', 'name', devB, 'netns', this.ns[b]])
    sh('ip', ['-n', this.ns[a], 'addr', 'add', `${ipA}/30`, 'dev', devA])
    sh('ip', ['-n', this.ns[b], 'addr', 'add', `${ipB}/30`, 'dev', devB])
    sh('ip', ['-n', this.ns[a], 'link', 'set', devA, 'up'])
    sh('ip', ['-n', this.ns[b], 'link', 'set', devB, 'up'])
    const l = { a, b, devA, devB, ipA, ipB }
    this.links.push(l)
    return l
  }

  /** Take a link down or up (both ends, as a radio link fading). */
  setLink (l: Link, up: boolean): void {
    sh('ip', ['-n', this.ns[l.a], 'link', 'set', l.devA, up ? 'up' : 'down'])
    sh('ip', ['-n', this.ns[l.b], 'link', 'set', l.devB, up ? 'up' : 'down'])
  }

  /** A slow radio link: token bucket on both ends (netem is not available here). */
  slow (l: Link, rate = '1mbit', burst = '32kbit', latency = '400ms'): void {
    for (const [ns, dev] of [[this.ns[l.a], l.devA], [this.ns[l.b], l.devB]]) {
      sh('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', dev, 'root', 'tbf', 'rate', rate, 'burst', burst, 'latency', latency])
    }
  }

  /** Multicast (mDNS) onto a node's only link. */
  multicast (node: number, dev: string): void {
    sh('ip', ['-n', this.ns[node], 'route', 'add', '224.0.0.0/4', 'dev', dev])
  }

  /** Remove every namespace this lab made (veths go with them). Idempotent; never throws. */
  cleanup (): void {
    if (this.closed) return
    this.closed = true
    live.delete(this)
    for (const name of this.ns) spawnSync('ip', ['netns', 'del', name], { timeout: 10_000 })
    // Anything a crashed earlier step left under this prefix, too.
    try { for (const name of namespacesWith(this.prefix)) spawnSync('ip', ['netns', 'del', name], { timeout: 10_000 }) } catch {}
  }
}
