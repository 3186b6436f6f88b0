import t from 'tap'
import net from 'node:net'
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TorrcError, readOnionHostname, torrcLines } from '../../transports/tor/torrc.js'
import { onion3FromPublicKey } from '../../transports/tor/onion.js'
import { socksConnect } from '../../transports/tor/socks-transport.js'
import type { SocksDialError } from '../../transports/tor/socks-transport.js'

const VALID = '25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid.onion'

t.test('torrcLines', async t => {
  t.equal(torrcLines({ hiddenServiceDir: '/var/lib/tor/funkpost', virtualPort: 4001, targetPort: 4002 }),
    'HiddenServiceDir /var/lib/tor/funkpost\nHiddenServicePort 4001 127.0.0.1:4002\n')
  t.equal(torrcLines({ hiddenServiceDir: '/hs', virtualPort: 80, targetHost: '127.0.0.1', targetPort: 4001, socksPort: 9050 }),
    'HiddenServiceDir /hs\nHiddenServicePort 80 127.0.0.1:4001\nSocksPort 127.0.0.1:9050\n')
  t.equal(torrcLines({ hiddenServiceDir: '/hs', virtualPort: 1, targetHost: '::1', targetPort: 65535 }),
    'HiddenServiceDir /hs\nHiddenServicePort 1 [::1]:65535\n')

  const bad = [
    { hiddenServiceDir: 'relative/dir', virtualPort: 1, targetPort: 1 },
    { hiddenServiceDir: '/a b', virtualPort: 1, targetPort: 1 },
    { hiddenServiceDir: '/hs\nSocksPort 0.0.0.0:9050', virtualPort: 1, targetPort: 1 },
    { hiddenServiceDir: '/hs', virtualPort: 0, targetPort: 1 },
    { hiddenServiceDir: '/hs', virtualPort: 1, targetPort: 70000 },
    { hiddenServiceDir: '/hs', virtualPort: 1, targetPort: 1.5 },
    { hiddenServiceDir: '/hs', virtualPort: 1, targetPort: 1, socksPort: 0 },
    { hiddenServiceDir: '/hs', virtualPort: 1, targetPort: 1, targetHost: '192.168.1.1' }
  ]
  for (const init of bad) {
    t.throws(() => torrcLines(init), { name: 'TorrcError' }, JSON.stringify(init))
  }
  t.type(new TorrcError('x'), Error)
})

t.test('readOnionHostname', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'fp-hs-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  await t.rejects(readOnionHostname(dir), { code: 'ENOENT' })
  writeFileSync(join(dir, 'hostname'), `${VALID.toUpperCase()}\n`)
  t.equal(await readOnionHostname(dir), VALID)
  writeFileSync(join(dir, 'hostname'), VALID.replace('25n', '35n') + '\n')
  await t.rejects(readOnionHostname(dir), { name: 'InvalidOnionAddressError', reason: 'checksum' })
})

function hasTor (): boolean {
  if (spawnSync('sh', ['-c', 'command -v tor']).status === 0) return true
  spawnSync('apt-get', ['install', '-y', 'tor'], { stdio: 'ignore', timeout: 180_000 })
  return spawnSync('sh', ['-c', 'command -v tor']).status === 0
}

async function freePort (): Promise<number> {
  const srv = net.createServer()
  await new Promise<void>(resolve => srv.listen(0, '127.0.0.1', resolve))
  const port = (srv.address() as net.AddressInfo).port
  await new Promise(resolve => srv.close(resolve))
  return port
}

async function accepts (port: number): Promise<boolean> {
  return new Promise<boolean>(resolve => {
    const s = net.connect(port, '127.0.0.1')
    s.once('connect', () => { s.destroy(); resolve(true) })
    s.once('error', () => { resolve(false) })
  })
}

const sleep = async (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

t.test('real tor writes a valid onion hostname and opens its SocksPort', async t => {
  if (!hasTor()) {
    t.plan(0, 'SKIP: tor is not installed and apt-get install tor failed')
    return
  }
  const dir = mkdtempSync(join(tmpdir(), 'fp-tor-'))
  const data = join(dir, 'data')
  const hs = join(dir, 'hs')
  mkdirSync(data, { mode: 0o700 })
  const socksPort = await freePort()
  // UseBridges with one bridge on 127.0.0.1:1 (nothing listens there) keeps
  // tor's only outbound connection attempts on loopback: it never contacts
  // the directory authorities. Running as root needs no extra option.
  const torrc = [
    torrcLines({ hiddenServiceDir: hs, virtualPort: 4001, targetPort: 4001, socksPort }),
    `DataDirectory ${data}`, 'RunAsDaemon 0', 'Log notice stdout', 'UseBridges 1', 'Bridge 127.0.0.1:1', ''
  ].join('\n')
  writeFileSync(join(dir, 'torrc'), torrc)

  let log = ''
  const tor: ChildProcess = spawn('tor', ['--defaults-torrc', '/dev/null', '-f', join(dir, 'torrc')], { stdio: ['ignore', 'pipe', 'pipe'] })
  tor.stdout?.on('data', (b: Buffer) => { log += b.toString() })
  tor.stderr?.on('data', (b: Buffer) => { log += b.toString() })
  t.teardown(async () => {
    if (tor.exitCode == null && tor.signalCode == null) {
      const exited = new Promise(resolve => tor.once('exit', resolve))
      tor.kill('SIGTERM')
      const s = Date.now()
      const done = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)])
      if (!done) tor.kill('SIGKILL')
      t.comment(`tor ${done ? 'exited' : 'killed'} after ${Date.now() - s} ms`)
    }
    rmSync(dir, { recursive: true, force: true })
  })

  const start = Date.now()
  let hostname: string | undefined
  for (let i = 0; i < 80 && hostname == null; i++) { // at most ~20 s
    hostname = await readOnionHostname(hs).catch(() => undefined)
    if (hostname == null) await sleep(250)
  }
  if (hostname == null) t.comment(log)
  t.ok(hostname != null, `tor wrote a valid hostname within 20 s (${Date.now() - start} ms)`)
  if (hostname == null) return
  t.comment(`hostname ${hostname} after ${Date.now() - start} ms`)

  // tor's own public key file gives the same name through our checksum code
  const keyFile = readFileSync(join(hs, 'hs_ed25519_public_key'))
  t.equal(keyFile.subarray(0, 29).toString('latin1'), '== ed25519v1-public: type0 ==')
  t.equal(`${onion3FromPublicKey(keyFile.subarray(32, 64))}.onion`, hostname)

  let open = false
  for (let i = 0; i < 40 && !open; i++) { // at most ~10 s
    open = await accepts(socksPort)
    if (!open) await sleep(250)
  }
  t.ok(open, `SocksPort ${socksPort} accepts TCP connections`)

  // our SOCKS client against real tor: private addresses are refused at once,
  // an onion dial (tor cannot bootstrap here) ends at our deadline
  const refused = await socksConnect({ host: '127.0.0.1', port: socksPort }, { host: '127.0.0.1', port: 4001 }, { timeoutMs: 5000 })
    .catch((e: unknown) => e) as SocksDialError
  t.equal(refused.name, 'SocksDialError')
  t.equal(refused.reason, 'rejected')
  t.comment(refused.message)
  const s2 = Date.now()
  const onion = await socksConnect({ host: '127.0.0.1', port: socksPort }, { host: hostname, port: 4001 }, { timeoutMs: 800 })
    .catch((e: unknown) => e) as SocksDialError
  t.equal(onion.reason, 'timeout', onion.message)
  t.ok(Date.now() - s2 < 2000, `onion dial gave up after ${Date.now() - s2} ms`)

  // tor's sockets stay on loopback
  const lines = execFileSync('ss', ['-tanpH'], { encoding: 'utf8' }).split('\n').filter(l => l.includes(`pid=${tor.pid ?? -1},`))
  t.ok(lines.length > 0)
  for (const l of lines) {
    const cols = l.trim().split(/\s+/)
    t.match(cols[4], /^(127\.0\.0\.1|0\.0\.0\.0|\[::1\]|\*):/, `tor peer ${cols[4]} is loopback`)
  }
})
