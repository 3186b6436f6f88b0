/**
 * Logging for every layer: named loggers with levels (error, warn, info,
 * debug, trace) and two line formats (text, json), one sink (stderr by
 * default). A logger has the shape of libp2p's `Logger` (calling it logs at
 * debug; `.error`, `.trace`, `.enabled`, `.newScope`) plus `.warn` and
 * `.info`, so the same objects serve funkpost's components and libp2p's own
 * (`componentLogger()` is a libp2p `ComponentLogger`).
 *
 * The level is global to the process (`configureLogging`); `DEBUG=funkpost:*`
 * (comma-separated patterns with `*`) turns on debug lines for matching
 * names whatever the level, as with libp2p's `debug`-style loggers. Names
 * outside `funkpost:` (libp2p's internals) log at debug/trace only when DEBUG
 * names them.
 */
import { format as utilFormat, inspect } from 'node:util'
import type { ComponentLogger, Logger } from '@libp2p/interface'

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug', 'trace'] as const
export type LogLevel = typeof LOG_LEVELS[number]
export type LogFormat = 'text' | 'json'

export interface Log extends Logger {
  warn: (formatter: unknown, ...args: unknown[]) => void
  info: (formatter: unknown, ...args: unknown[]) => void
  debug: (formatter: unknown, ...args: unknown[]) => void
  newScope: (name: string) => Log
}

export interface LogLine { time: string, level: LogLevel, component: string, msg: string }

export interface LoggingInit {
  /** @default 'warn' until configured (a daemon sets its --log-level, default info) */
  level?: LogLevel
  /** @default 'text' */
  format?: LogFormat
  /** Where finished lines go. @default a write to stderr */
  sink?: (line: string, entry: LogLine) => void
  /** Namespace patterns that log at debug and trace regardless of level. @default process.env.DEBUG */
  debug?: string
}

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3, trace: 4 }

interface State {
  level: LogLevel
  format: LogFormat
  sink: (line: string, entry: LogLine) => void
  patterns: RegExp[]
  /** Bumped by configureLogging: loggers recompute what they print. */
  epoch: number
}

function patternsOf (spec: string | undefined): RegExp[] {
  if (spec === undefined || spec.trim() === '') return []
  return spec.split(/[\s,]+/).filter(p => p !== '' && !p.startsWith('-'))
    .map(p => new RegExp('^' + p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*') + '$'))
}

const stderrSink = (line: string): void => { process.stderr.write(line + '\n') }

const state: State = { level: 'warn', format: 'text', sink: stderrSink, patterns: patternsOf(process.env.DEBUG), epoch: 0 }

export function isLogLevel (s: string): s is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(s)
}

/** Set the level, format and sink for every logger of this process. */
export function configureLogging (init: LoggingInit): void {
  if (init.level !== undefined) state.level = init.level
  if (init.format !== undefined) state.format = init.format
  if (init.sink !== undefined) state.sink = init.sink
  if (init.debug !== undefined) state.patterns = patternsOf(init.debug)
  state.epoch++
}

/** The current settings (for tests and for handing on to child processes). */
export function loggingSettings (): { level: LogLevel, format: LogFormat } {
  return { level: state.level, format: state.format }
}

/**
 * printf-style formatting with the directives libp2p's loggers use: %s %d
 * %i %f %j %o %O as util.format, and %a (multiaddr) %p (peer id) %b %t %c %k
 * as their string form, %e as an error's message.
 */
export function formatMessage (formatter: unknown, args: unknown[]): string {
  if (typeof formatter !== 'string') return utilFormat(formatter, ...args)
  let i = 0
  const out = formatter.replace(/%([a-zA-Z%])/g, (whole, d: string) => {
    if (d === '%') return '%'
    if (i >= args.length) return whole
    const v = args[i++]
    switch (d) {
      case 'e': return v instanceof Error ? v.message : String(v)
      case 'a': case 'p': case 'b': case 't': case 'c': case 'k': return String(v)
      case 'j': try { return JSON.stringify(v) } catch { return '[unserialisable]' }
      case 'o': case 'O': return inspect(v, { depth: 3, breakLength: Infinity })
      case 's': case 'd': case 'i': case 'f': return utilFormat(`%${d}`, v)
      default: return whole
    }
  })
  const rest = args.slice(i).map(a => typeof a === 'string' ? a : inspect(a, { depth: 2, breakLength: Infinity }))
  return rest.length > 0 ? `${out} ${rest.join(' ')}` : out
}

function render (entry: LogLine): string {
  if (state.format === 'json') return JSON.stringify(entry)
  return `${entry.time} ${entry.level.toUpperCase().padEnd(5)} ${entry.component} ${entry.msg}`
}

function emit (level: LogLevel, component: string, formatter: unknown, args: unknown[]): void {
  const entry: LogLine = { time: new Date().toISOString(), level, component, msg: formatMessage(formatter, args) }
  try {
    state.sink(render(entry), entry)
  } catch {
    // A broken sink (stderr closed under a dying terminal) must not take the node down with it.
  }
}

/** A named logger. Names are `funkpost:<layer>:<component>[:<node>]`. */
export function logger (name: string): Log {
  let epoch = -1
  let allowed = RANK.warn
  const mine = name.startsWith('funkpost:')
  const refresh = (): void => {
    if (epoch === state.epoch) return
    epoch = state.epoch
    const matched = state.patterns.some(p => p.test(name))
    // Other libraries' loggers (libp2p internals) are quiet unless named in DEBUG; their errors are ours to handle.
    allowed = matched ? RANK.trace : mine ? RANK[state.level] : -1
  }
  const at = (level: LogLevel) => (formatter: unknown, ...args: unknown[]): void => {
    refresh()
    if (RANK[level] <= allowed) emit(level, name, formatter, args)
  }
  const log = at('debug') as Log
  log.error = at('error')
  log.warn = at('warn')
  log.info = at('info')
  log.debug = at('debug')
  log.trace = at('trace')
  Object.defineProperty(log, 'enabled', { get: () => { refresh(); return allowed >= RANK.debug } })
  log.newScope = (scope: string) => logger(`${name}:${scope}`)
  return log
}

/** A libp2p ComponentLogger whose loggers are these; `suffix` names the node when several share a process. */
export function componentLogger (suffix?: string): ComponentLogger & { forComponent: (name: string) => Log } {
  return { forComponent: (name: string) => logger(suffix !== undefined && suffix !== '' ? `${name}:${suffix}` : name) }
}
