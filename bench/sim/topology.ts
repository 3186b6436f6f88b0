/**
 * Topologies of the simulator and the model: random geometric "rooftop"
 * graphs (nodes in a unit square, a link where two are closer than r), lines,
 * and two islands joined by one bridge. Each graph names the links a
 * partition cuts (`cut`): the vertical middle of a rooftop graph, the middle
 * link of a line, the bridge between islands.
 */
import { seededRandom } from './random.js'

export type Edge = [number, number]

export interface Graph {
  kind: 'rooftop' | 'line' | 'islands'
  n: number
  edges: Edge[]
  /** Positions in the unit square (line: evenly spaced). */
  pos: Array<[number, number]>
  /** Links a partition removes; both sides stay connected inside. */
  cut: Edge[]
  /** Radio range used (rooftop, islands). */
  r?: number
}

export function edgeKey (a: number, b: number): string {
  return a < b ? `${a}-${b}` : `${b}-${a}`
}

export function adjacency (n: number, edges: Edge[]): number[][] {
  const adj = Array.from({ length: n }, () => [] as number[])
  for (const [a, b] of edges) { adj[a].push(b); adj[b].push(a) }
  return adj
}

/** Hop distances from `from` (-1 unreachable), skipping links in `without`. */
export function hops (n: number, edges: Edge[], from: number, without: Set<string> = new Set()): number[] {
  const adj = adjacency(n, edges.filter(([a, b]) => !without.has(edgeKey(a, b))))
  const dist = new Array<number>(n).fill(-1)
  dist[from] = 0
  const queue = [from]
  for (let i = 0; i < queue.length; i++) {
    for (const m of adj[queue[i]]) if (dist[m] < 0) { dist[m] = dist[queue[i]] + 1; queue.push(m) }
  }
  return dist
}

export function connected (n: number, edges: Edge[], without?: Set<string>): boolean {
  return n === 0 || hops(n, edges, 0, without).every(d => d >= 0)
}

/** Links between points closer than r, found through a grid of r-sized cells (fine at 10,000 nodes). */
function geometricEdges (pos: Array<[number, number]>, r: number, offset = 0): Edge[] {
  const cells = new Map<string, number[]>()
  const cell = (x: number, y: number): string => `${Math.floor(x / r)},${Math.floor(y / r)}`
  pos.forEach(([x, y], i) => {
    const k = cell(x, y)
    const list = cells.get(k)
    if (list === undefined) cells.set(k, [i]); else list.push(i)
  })
  const edges: Edge[] = []
  pos.forEach(([x, y], i) => {
    const cx = Math.floor(x / r); const cy = Math.floor(y / r)
    for (let dx = -1; dx <= 1; dx++) {
      for (let dy = -1; dy <= 1; dy++) {
        for (const j of cells.get(`${cx + dx},${cy + dy}`) ?? []) {
          if (j <= i) continue
          const ddx = pos[j][0] - x; const ddy = pos[j][1] - y
          if (ddx * ddx + ddy * ddy < r * r) edges.push([i + offset, j + offset])
        }
      }
    }
  })
  return edges
}

/** Radio range for a target mean degree k among n nodes in a unit square: π r² n ≈ k. */
export function rangeFor (n: number, meanDegree: number): number {
  return Math.sqrt(meanDegree / (Math.PI * n))
}

/**
 * A connected rooftop graph: n points uniform in [x0, x0+w] × [0, 1]; the
 * range starts at `rangeFor(n, meanDegree)` (scaled to the area) and grows by
 * 5 % until the graph is connected (a sparse corner would otherwise be cut off).
 */
function rooftopPart (n: number, meanDegree: number, random: () => number, x0 = 0, w = 1, offset = 0): { pos: Array<[number, number]>, edges: Edge[], r: number } {
  const pos: Array<[number, number]> = Array.from({ length: n }, () => [x0 + random() * w, random()])
  let r = rangeFor(n, meanDegree) * Math.sqrt(w)
  for (;;) {
    const edges = geometricEdges(pos, r, offset)
    if (connected(n, edges.map(([a, b]) => [a - offset, b - offset]))) return { pos, edges, r }
    r *= 1.05
  }
}

export function rooftop (n: number, meanDegree: number, seed: number): Graph {
  const { pos, edges, r } = rooftopPart(n, meanDegree, seededRandom(seed))
  const cut = edges.filter(([a, b]) => (pos[a][0] < 0.5) !== (pos[b][0] < 0.5))
  return { kind: 'rooftop', n, edges, pos, cut, r }
}

export function line (n: number): Graph {
  const edges: Edge[] = []
  for (let i = 1; i < n; i++) edges.push([i - 1, i])
  const mid = Math.floor(n / 2)
  return { kind: 'line', n, edges, pos: Array.from({ length: n }, (_, i) => [n === 1 ? 0.5 : i / (n - 1), 0.5]), cut: n > 1 ? [[mid - 1, mid]] : [] }
}

/** Two rooftop islands (left and right thirds of the square) and one bridge between their closest nodes. */
export function islands (n: number, meanDegree: number, seed: number): Graph {
  const random = seededRandom(seed)
  const left = Math.ceil(n / 2)
  const a = rooftopPart(left, meanDegree, random, 0, 0.4, 0)
  const b = rooftopPart(n - left, meanDegree, random, 0.6, 0.4, left)
  const pos = [...a.pos, ...b.pos]
  let best: Edge = [0, left]
  let bestD = Infinity
  for (let i = 0; i < left; i++) {
    for (let j = left; j < n; j++) {
      const d = (pos[i][0] - pos[j][0]) ** 2 + (pos[i][1] - pos[j][1]) ** 2
      if (d < bestD) { bestD = d; best = [i, j] }
    }
  }
  return { kind: 'islands', n, edges: [...a.edges, ...b.edges, best], pos, cut: [best], r: a.r }
}

export type TopologyName = Graph['kind']

export function makeGraph (kind: TopologyName, n: number, seed: number, meanDegree = 8): Graph {
  switch (kind) {
    case 'rooftop': return rooftop(n, meanDegree, seed)
    case 'line': return line(n)
    case 'islands': return islands(n, meanDegree, seed)
  }
}

export function degreeStats (g: Graph): { mean: number, max: number } {
  const deg = adjacency(g.n, g.edges).map(a => a.length)
  return { mean: Math.round(deg.reduce((s, d) => s + d, 0) / g.n * 100) / 100, max: Math.max(...deg) }
}
