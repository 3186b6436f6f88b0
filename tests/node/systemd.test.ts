/**
 * node/systemd/funkpost.service: systemd accepts it (`systemd-analyze
 * verify`, with the installed command's path pointed at this checkout's),
 * and it keeps its hardening. Where systemd is absent the test says so and
 * skips, except under CI=true, where a missing systemd-analyze fails.
 */
import t from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const UNIT = fs.readFileSync(path.join(ROOT, 'node/systemd/funkpost.service'), 'utf8')
const hasSystemd = spawnSync('systemd-analyze', ['--version']).status === 0

t.test('the unit keeps its hardening', async t => {
  const directives = new Map<string, string[]>()
  for (const line of UNIT.split('\n')) {
    const m = /^(\w+)=(.*)$/.exec(line)
    if (m !== null) directives.set(m[1], [...(directives.get(m[1]) ?? []), m[2]])
  }
  const want: Record<string, string> = {
    User: 'funkpost', NoNewPrivileges: 'yes', ProtectSystem: 'strict', ProtectHome: 'yes', PrivateTmp: 'yes', PrivateDevices: 'yes',
    UMask: '0077', StateDirectoryMode: '0700', CapabilityBoundingSet: '', RestrictSUIDSGID: 'yes', SystemCallFilter: '@system-service', Restart: 'on-failure'
  }
  for (const [k, v] of Object.entries(want)) t.same(directives.get(k), [v], `${k}=${v}`)
  t.notOk(directives.has('MemoryDenyWriteExecute'), 'no MemoryDenyWriteExecute (V8 needs writable code pages)')
  t.match(directives.get('ExecStart')?.[0], /funkpost start$/)
})

t.test('systemd-analyze verify accepts it', { skip: hasSystemd || process.env.CI === 'true' ? false : 'systemd-analyze not found (Debian package systemd)' }, async t => {
  t.ok(hasSystemd, 'systemd-analyze is installed')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'funkpost-unit-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  // verify checks that every Exec command exists: point it at this checkout's command.
  fs.writeFileSync(path.join(dir, 'funkpost.service'), UNIT.replaceAll('/usr/local/bin/funkpost', path.join(ROOT, 'cli', 'bin.js')))
  const r = spawnSync('systemd-analyze', ['verify', path.join(dir, 'funkpost.service')], { encoding: 'utf8', timeout: 60_000 })
  t.equal(r.status, 0, `verify exit code (${r.stderr.trim()})`)
  t.equal(r.stderr.trim(), '', 'no warnings')
})
