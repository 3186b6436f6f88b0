/**
 * `funkpost chat [NAME]`: an interactive chat in the terminal. Lines typed
 * are sent to the open conversation; incoming messages appear as they
 * arrive, numbered, with sender, time and delivery state (… queued, ✓ sent,
 * ✓✓ delivered, ✓✓ read). Plain lines when stdout is not a TTY, so it can be
 * driven through a pipe. Without a running node it starts one (embedded,
 * with the control socket, on this home) and stops it on /quit.
 */
import readline from 'node:readline'
import { ControlClient, probe, socketPath } from '../node/control.js'
import { runDaemon, type RunOptions } from '../node/daemon.js'
import { STATUS_MARK } from './commands/mail.js'
import { configureLogging } from '../transports/log.js'

export interface ChatMessage {
  id: string
  from: string
  to: string
  peer: string
  dir: 'in' | 'out'
  name: string
  text: string
  at: string
  status: string
  ref?: string
  edited?: boolean
  deleted?: boolean
  reactions?: Record<string, string>
  conv?: 'direct' | 'channel'
  channel?: string
}

const HELP = `commands:
  /to NAME            talk to NAME (a contact or an id)
  /msg NAME TEXT      send one message to NAME
  /reply N TEXT       reply to message #N
  /react N EMOJI      react to #N (empty EMOJI removes it)
  /edit N TEXT        edit your message #N
  /delete N           delete your message #N
  /timer DURATION     disappearing messages in this conversation (30s, 10m, 1h, 1d; off)
  /join NAME|LINK     join a channel (#public-name, or a private channel's invite link) and open it
  /leave NAME         leave a channel
  /channels           channels you are in
  /peers              who is connected
  /outbox             mail not yet delivered
  /help               this list
  /quit               leave (the embedded node stops; a daemon keeps running)`

export function parseDuration (s: string): number | undefined {
  if (/^(off|0)$/i.test(s)) return 0
  const m = /^(\d+)\s*(s|m|h|d)$/i.exec(s.trim())
  if (m === null) return undefined
  return Number(m[1]) * { s: 1e3, m: 6e4, h: 36e5, d: 864e5 }[m[2].toLowerCase() as 's']
}

export async function runChat (opts: RunOptions & { with?: string, json?: boolean }): Promise<void> {
  const out = (s: string): void => { process.stdout.write(s + '\n') }
  let stopEmbedded: (() => Promise<void>) | undefined
  if (!await probe(socketPath(opts.home))) {
    // The embedded node logs errors only: info lines would scroll through the conversation.
    configureLogging({ level: 'error' })
    const d = await runDaemon({ ...opts, autoInit: true, keepLogging: true })
    stopEmbedded = d.stop
    out(`started a node on ${opts.home} (id ${d.node.id})`)
  }
  const client = await ControlClient.connect(opts.home)
  const status = await client.call<{ id: string, name: string, addrs: string[] }>('status')
  const numbers = new Map<string, number>()
  const byNumber = new Map<number, ChatMessage>()
  let next = 1
  let current: string | undefined
  /** Set when the open conversation is a channel (its name). */
  let channel: string | undefined
  let currentId: string | undefined
  let timerMs = 0

  const num = (m: ChatMessage): number => {
    let n = numbers.get(m.id)
    if (n === undefined) { n = next++; numbers.set(m.id, n) }
    byNumber.set(n, m)
    return n
  }
  const time = (iso: string): string => new Date(iso).toTimeString().slice(0, 5)
  const line = (m: ChatMessage): string => {
    const n = num(m)
    const who = m.dir === 'out' ? 'me' : m.name
    const quote = m.ref !== undefined && numbers.has(m.ref) ? ` ↪#${numbers.get(m.ref)}` : ''
    const text = m.deleted === true ? '(deleted)' : m.text + (m.edited === true ? ' (edited)' : '')
    const state = m.dir === 'out' ? ` ${STATUS_MARK[m.status] ?? m.status}` : ''
    const reactions = Object.entries(m.reactions ?? {}).map(([k, v]) => `${v} ${k === status.id ? 'me' : k}`).join(', ')
    const where = m.conv === 'channel' ? `${m.channel ?? 'channel'} ` : ''
    return `#${n} [${time(m.at)}] ${where}${who}${quote}: ${text}${state}${reactions !== '' ? `  [${reactions}]` : ''}`
  }

  const openChannel = async (name: string): Promise<void> => {
    const list = await client.call<Array<{ name: string }>>('channel.list')
    if (name.startsWith('#') && !list.some(c => c.name === name)) {
      await client.call('channel.join', { target: name })
      out(`  joined ${name}`)
    }
    const hist = await client.call<ChatMessage[]>('channel.read', { name, limit: 20, rich: true })
    current = undefined
    currentId = undefined
    channel = hist[0]?.channel ?? name
    out(`— in ${channel}${hist.length > 0 ? ` (last ${hist.length} posts)` : ''}`)
    for (const m of hist) out(line(m))
  }

  const isChannel = async (target: string): Promise<boolean> => {
    if (target.startsWith('#')) return true
    const list = await client.call<Array<{ name: string }>>('channel.list')
    return list.some(c => c.name === target)
  }

  const open = async (target: string): Promise<void> => {
    if (await isChannel(target)) { await openChannel(target); return }
    channel = undefined
    const hist = await client.call<ChatMessage[]>('history', { with: target, limit: 20 })
    current = target
    currentId = hist[0]?.peer
    out(`— talking to ${target}${hist.length > 0 ? ` (last ${hist.length} messages)` : ''}`)
    for (const m of hist) {
      out(line(m))
      if (m.dir === 'in' && m.status !== 'read') void markRead(m)
    }
  }

  const markRead = async (m: ChatMessage): Promise<void> => {
    if (m.dir !== 'in') return
    try { await client.call('act', { to: m.from, kind: 'read', ref: m.id }) } catch {}
  }

  await client.subscribe((event, data) => {
    const m = data as ChatMessage
    switch (event) {
      case 'message':
        out(line(m))
        if (m.conv !== 'channel' && current !== undefined && (m.from === currentId || m.name === current || m.from === current)) void markRead(m)
        break
      case 'delivered':
      case 'updated':
        out(`  ${line(m)}`)
        break
      case 'typing':
        if (process.stdout.isTTY === true) out(`  ${(data as { from: string }).from} is typing…`)
        break
      case 'peer:join':
        out(`  peer joined ${(data as { id: string }).id}`)
        break
    }
  })

  out(`funkpost chat — you are ${status.id}${status.name !== '' ? ` (${status.name})` : ''}; /help lists commands`)
  if (opts.with !== undefined) await open(opts.with)

  const send = async (to: string, text: string, ref?: string): Promise<void> => {
    if (channel !== undefined && to === channel) {
      // The node echoes own posts as 'message' events: printed there, once.
      await client.call<{ id: string }>('channel.send', { name: channel, text, ref, ttlMs: timerMs > 0 ? timerMs : undefined })
      return
    }
    const r = await client.call<{ id: string }>('send', { to, text, ref, ttlMs: timerMs > 0 ? timerMs : undefined })
    const msg: ChatMessage = { id: r.id, from: status.id, to, peer: to, dir: 'out', name: 'me', text, at: new Date().toISOString(), status: 'queued', ref }
    out(line(msg))
  }

  const refOf = (n: string): ChatMessage => {
    const m = byNumber.get(Number(n.replace(/^#/, '')))
    if (m === undefined) throw new Error(`no message #${n}`)
    return m
  }

  const command = async (input: string): Promise<boolean> => {
    const [cmd, ...rest] = input.split(/\s+/)
    const arg = input.slice(cmd.length).trim()
    switch (cmd) {
      case '/quit': case '/exit': return false
      case '/help': out(HELP); break
      case '/to': if (rest[0] === undefined) throw new Error('usage: /to NAME'); await open(rest[0]); break
      case '/msg': {
        if (rest.length < 2) throw new Error('usage: /msg NAME TEXT')
        await send(rest[0], arg.slice(rest[0].length).trim())
        break
      }
      case '/reply': {
        const m = refOf(rest[0] ?? '')
        const text = arg.slice((rest[0] ?? '').length).trim()
        if (text === '') throw new Error('usage: /reply N TEXT')
        if (m.conv === 'channel') {
          await client.call<{ id: string }>('channel.send', { name: m.channel, text, ref: m.id, ttlMs: timerMs > 0 ? timerMs : undefined })
        } else await send(m.dir === 'in' ? m.from : m.to, text, m.id)
        break
      }
      case '/react': {
        const m = refOf(rest[0] ?? '')
        if (m.conv === 'channel') await client.call('channel.act', { name: m.channel, kind: 'react', ref: m.id, emoji: rest[1] ?? '' })
        else await client.call('act', { to: m.dir === 'in' ? m.from : m.to, kind: 'react', ref: m.id, emoji: rest[1] ?? '' })
        out(`  reacted ${rest[1] ?? '(removed)'} to #${numbers.get(m.id)}`)
        break
      }
      case '/edit': {
        const m = refOf(rest[0] ?? '')
        if (m.dir !== 'out') throw new Error('you can only edit your own messages')
        const text = arg.slice((rest[0] ?? '').length).trim()
        if (m.conv === 'channel') await client.call('channel.act', { name: m.channel, kind: 'edit', ref: m.id, text })
        else await client.call('act', { to: m.to, kind: 'edit', ref: m.id, text })
        out(`  edited #${numbers.get(m.id)}`)
        break
      }
      case '/delete': {
        const m = refOf(rest[0] ?? '')
        if (m.dir !== 'out') throw new Error('you can only delete your own messages')
        if (m.conv === 'channel') await client.call('channel.act', { name: m.channel, kind: 'delete', ref: m.id })
        else await client.call('act', { to: m.to, kind: 'delete', ref: m.id })
        out(`  deleted #${numbers.get(m.id)}`)
        break
      }
      case '/timer': {
        const ms = parseDuration(rest[0] ?? '')
        if (ms === undefined) throw new Error('usage: /timer 30s|10m|1h|1d|off')
        timerMs = ms
        out(ms === 0 ? '  disappearing messages off' : `  new messages disappear after ${rest[0]}`)
        break
      }
      case '/join': {
        if (rest[0] === undefined) throw new Error('usage: /join #NAME or /join LINK')
        const r = await client.call<{ name: string }>('channel.join', { target: rest[0] })
        await openChannel(r.name)
        break
      }
      case '/leave': {
        const name = rest[0] ?? channel
        if (name === undefined) throw new Error('usage: /leave NAME')
        await client.call('channel.leave', { name })
        out(`  left ${name}`)
        if (channel === name) channel = undefined
        break
      }
      case '/channels': {
        const list = await client.call<Array<{ name: string, kind: string }>>('channel.list')
        out(list.length === 0 ? '  no channels; /join #name' : list.map(c => `  ${c.name} (${c.kind})`).join('\n'))
        break
      }
      case '/peers': {
        const peers = await client.call<Array<{ id: string, name: string, connected: boolean }>>('peers')
        out(peers.length === 0 ? '  no peers' : peers.map(p => `  ${p.connected ? '●' : '○'} ${p.id}${p.name !== '' ? ' ' + p.name : ''}`).join('\n'))
        break
      }
      case '/outbox': {
        const rows = await client.call<Array<{ id: string, to: string, status: string, attempts: number }>>('outbox.list')
        out(rows.length === 0 ? '  outbox is empty' : rows.map(r => `  ${r.id.slice(0, 12)} to ${r.to.slice(-8)} ${r.status} (${r.attempts} attempts)`).join('\n'))
        break
      }
      default: throw new Error(`unknown command ${cmd}; /help lists them`)
    }
    return true
  }

  const rl = readline.createInterface({ input: process.stdin, terminal: process.stdin.isTTY === true && process.stdout.isTTY === true })
  let queue = Promise.resolve(true)
  let quitting = false
  const quit = async (): Promise<void> => {
    if (quitting) return
    quitting = true
    rl.close()
    client.close()
    if (stopEmbedded !== undefined) await stopEmbedded()
    process.exit(0)
  }
  client.onClose = () => { if (!quitting) { out('the node stopped'); void quit() } }
  rl.on('line', (input: string) => {
    queue = queue.then(async (go) => {
      if (!go) return false
      const text = input.trim()
      if (text === '') return true
      try {
        if (text.startsWith('/')) return await command(text)
        if (channel !== undefined) { await send(channel, text); return true }
        if (current === undefined) throw new Error('no conversation open: /to NAME, /join #CHANNEL, or /msg NAME TEXT')
        await send(current, text)
      } catch (err) {
        out(`! ${(err as Error).message}`)
      }
      return true
    })
    void queue.then(go => { if (!go) void quit() })
  })
  rl.on('close', () => { void queue.then(() => quit()) })
  await new Promise(() => {})
}
