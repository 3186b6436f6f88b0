/**
 * Every protobuf schema's generated codec is what protons makes of it today:
 * the schemas are copied to a temp folder, `protons` (package.json's
 * `generate` list) regenerates them there, and each output must equal the
 * committed .ts byte for byte.
 */
import t from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const generate = String(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.generate)
const protos = generate.split(/\s+/).filter(w => w.endsWith('.proto'))

t.test('generated protobuf code equals what protons makes of the schemas', async t => {
  t.ok(protos.length >= 5, `${protos.length} schemas in the generate script`)
  const found = fs.readdirSync(ROOT, { recursive: true }).map(String).filter(p => p.endsWith('.proto') && !p.startsWith('node_modules'))
  t.same([...found].sort(), [...protos].sort(), 'every .proto in the tree is in the generate script')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'funkpost-proto-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const copies = protos.map(p => {
    const to = path.join(dir, p)
    fs.mkdirSync(path.dirname(to), { recursive: true })
    fs.copyFileSync(path.join(ROOT, p), to)
    return to
  })
  const r = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'protons'), copies, { cwd: dir, encoding: 'utf8', timeout: 60_000 })
  t.equal(r.status, 0, `protons ran: ${r.stderr}`)
  for (const p of protos) {
    const ts = p.replace(/\.proto$/, '.ts')
    t.equal(fs.readFileSync(path.join(dir, ts), 'utf8'), fs.readFileSync(path.join(ROOT, ts), 'utf8'), `${ts} is current (run npm run generate)`)
  }
})
