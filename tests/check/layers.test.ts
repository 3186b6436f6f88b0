/**
 * The layer rule, read from the code: a folder imports only from folders
 * below it (cli → node → store-forward → mesh → transports), never from a
 * folder above or beside it; transports/ imports npm packages only.
 */
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const RANK: Record<string, number> = { cli: 5, node: 4, 'store-forward': 3, mesh: 2, transports: 1 }

function files (dir: string): string[] {
  const out: string[] = []
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) out.push(...files(p))
    else if (/\.(ts|js|mjs)$/.test(e.name)) out.push(p)
  }
  return out
}

/** Relative import specifiers of a file (static imports, re-exports, dynamic imports). */
export function importsOf (source: string): string[] {
  const out: string[] = []
  for (const m of source.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g)) out.push(m[1])
  return out
}

t.test('every import points down the layers', async t => {
  const bad: string[] = []
  let checked = 0
  for (const layer of Object.keys(RANK)) {
    for (const file of files(path.join(ROOT, layer))) {
      for (const spec of importsOf(fs.readFileSync(file, 'utf8'))) {
        const target = path.relative(ROOT, path.resolve(path.dirname(file), spec)).split(path.sep)[0]
        checked++
        if (target === layer) continue
        const rank = RANK[target]
        // package.json (the version) is data, not a layer.
        if (target === 'package.json') continue
        if (rank === undefined || rank >= RANK[layer]) bad.push(`${path.relative(ROOT, file)} imports ${spec} (${target}/ is not below ${layer}/)`)
      }
    }
  }
  t.ok(checked > 100, `${checked} relative imports read`)
  t.same(bad, [], 'no import points up or sideways')
})

t.test('the checker sees imports in every form', async t => {
  t.same(importsOf("import x from '../node/a.js'\nexport { y } from './b.js'\nconst z = await import('../cli/c.js')\nimport '../node/polyfill.js'"),
    ['../node/a.js', './b.js', '../cli/c.js', '../node/polyfill.js'])
})
