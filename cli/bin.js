#!/usr/bin/env node
// The installed `funkpost` command: loads the Node 20 polyfill, then the
// bundle that `npm install` (prepare) or `npm run build` made from cli/main.ts.
import '../node/polyfill.js'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const bundle = fileURLToPath(new URL('../dist/funkpost.js', import.meta.url))
if (!existsSync(bundle)) {
  process.stderr.write('funkpost: not built yet; run `npm install` (or `npm run build`) in the funkpost folder\n')
  process.exit(1)
}
await import(bundle)
