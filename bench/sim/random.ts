/**
 * Seeded randomness for the simulator and the model: the same seed gives the
 * same topology, workload and churn schedule (network timing is not seeded).
 */

/** mulberry32: a small, fast, well-mixed 32-bit PRNG. Uniform in [0, 1). */
export function seededRandom (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = Math.imul(a ^ (a >>> 15), 1 | a)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

/** A child seed for a named purpose, so adding a consumer does not shift the others' streams. */
export function deriveSeed (seed: number, label: string): number {
  let h = (seed ^ 0x9e3779b9) >>> 0
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0
  return h
}

/** Exponential inter-arrival time with the given rate (events per unit time): the gaps of a Poisson process. */
export function exponential (random: () => number, rate: number): number {
  return -Math.log(1 - random()) / rate
}

export function pick<T> (random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]
}

/** Fisher–Yates, in place. */
export function shuffle<T> (random: () => number, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const x = items[i]; items[i] = items[j]; items[j] = x
  }
  return items
}

/** 32 seeded bytes (identity seeds of simulated nodes). */
export function seededBytes (random: () => number, n = 32): Uint8Array {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = Math.floor(random() * 256)
  return out
}
