/**
 * `funkpost init` and `funkpost id` as real processes (cli/bin.js and the
 * esbuild bundle it loads), against a temporary --home.
 */
import t from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import qrcode from 'qrcode-terminal'

const root = fileURLToPath(new URL('../../', import.meta.url))
const bin = path.join(root, 'cli', 'bin.js')
const bundle = path.join(root, 'dist', 'funkpost.js')

if (!fs.existsSync(bundle)) {
  const b = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8', timeout: 120_000 })
  if (b.status !== 0) throw new Error(`npm run build failed: ${b.stderr}`)
}

interface Run { status: number | null, stdout: string, stderr: string }
function run (args: string[], env: Record<string, string> = {}): Run {
  const baseEnv = { ...process.env }
  delete baseEnv.FUNKPOST_HOME
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000, env: { ...baseEnv, ...env } })
  if (r.error !== undefined) throw r.error
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

function tempHome (t: { teardown: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'funkpost-cli-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  return path.join(dir, 'home')
}

const ID = /12D3KooW[1-9A-HJ-NP-Za-km-z]{44}/
const qr = (text: string): Promise<string> => new Promise(resolve => qrcode.generate(text, { small: true }, resolve))

t.test('init creates a 0600 key and prints the id; id prints the same id', async t => {
  const home = tempHome(t)
  const key = path.join(home, 'identity.key')
  const init = run(['init', '--home', home])
  t.equal(init.status, 0, init.stderr)
  t.equal(fs.statSync(key).mode & 0o777, 0o600)
  const id = ID.exec(init.stdout)?.[0]
  t.ok(id, 'init prints an id')
  t.match(init.stdout, key, 'and the key file')

  const json = run(['id', '--json', '--home', home])
  t.equal(json.status, 0, json.stderr)
  const parsed = JSON.parse(json.stdout)
  t.same(Object.keys(parsed).sort(), ['fingerprint', 'id', 'words'])
  t.equal(parsed.id, id)
  t.match(parsed.fingerprint, /^\d{5}( \d{5}){11}$/)
  t.equal(parsed.words.split(' ').length, 6)

  const text = run(['id', '--home', home])
  t.equal(text.status, 0, text.stderr)
  t.match(text.stdout, `id:          ${id}`)
  t.match(text.stdout, parsed.fingerprint)
  t.match(text.stdout, parsed.words)
  const code = await qr(id!)
  t.ok(code.split('\n').length >= 10 && /[▄▀█]/.test(code), 'qrcode-terminal makes a block QR')
  t.ok(text.stdout.includes(code), 'the QR block printed is the QR code of the id')

  const viaEnv = run(['id', '--json'], { FUNKPOST_HOME: home })
  t.equal(JSON.parse(viaEnv.stdout).id, id, '$FUNKPOST_HOME works like --home')
})

t.test('init again refuses without --force, replaces with it', async t => {
  const home = tempHome(t)
  const key = path.join(home, 'identity.key')
  const first = run(['init', '--home', home, '--json'])
  t.equal(first.status, 0, first.stderr)
  const firstJson = JSON.parse(first.stdout)
  t.equal(firstJson.key, key)
  const before = fs.readFileSync(key)

  const again = run(['init', '--home', home])
  t.equal(again.status, 1)
  t.match(again.stderr, '--force')
  t.equal(again.stdout, '')
  t.same(fs.readFileSync(key), before, 'key untouched')

  const forced = run(['init', '--home', home, '--force', '--json'])
  t.equal(forced.status, 0, forced.stderr)
  t.not(JSON.parse(forced.stdout).id, firstJson.id, 'a new id')
  t.equal(JSON.parse(run(['id', '--json', '--home', home]).stdout).id, JSON.parse(forced.stdout).id)
})

t.test('id without an identity exits 1 and says to run funkpost init', async t => {
  const home = tempHome(t)
  const r = run(['id', '--home', home])
  t.equal(r.status, 1)
  t.match(r.stderr, 'funkpost init')
  t.equal(r.stdout, '')
  const j = run(['id', '--json', '--home', home])
  t.equal(j.status, 1)
  t.same(JSON.parse(j.stderr).error, 'IdentityMissingError', '--json errors are JSON on stderr')
  t.notOk(fs.existsSync(path.join(home, 'identity.key')), 'nothing created')
})

t.test('usage errors exit 2', async t => {
  const home = tempHome(t)
  const unknown = run(['frobnicate', '--home', home])
  t.equal(unknown.status, 2)
  t.match(unknown.stderr, 'frobnicate')
  t.equal(run(['--home', home]).status, 2, 'no command')
})

t.test('a corrupt or exposed key file exits 1 and names the file', async t => {
  const home = tempHome(t)
  const key = path.join(home, 'identity.key')
  t.equal(run(['init', '--home', home]).status, 0)

  fs.writeFileSync(key, 'this is not a key\n')
  fs.chmodSync(key, 0o600)
  const corrupt = run(['id', '--home', home])
  t.equal(corrupt.status, 1)
  t.match(corrupt.stderr, key)
  t.equal(fs.readFileSync(key, 'utf8'), 'this is not a key\n', 'not regenerated')

  t.equal(run(['init', '--home', home, '--force']).status, 0)
  fs.chmodSync(key, 0o644)
  const exposed = run(['id', '--home', home])
  t.equal(exposed.status, 1)
  t.match(exposed.stderr, key)
  t.match(exposed.stderr, 'chmod 600')
})
