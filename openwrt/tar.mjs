// Reproducible ustar + gzip writer for the .ipk build (openwrt/build.mjs).
// Same input, same bytes: entries sorted by name, one fixed mtime, uid/gid 0
// named root, modes given explicitly, and a gzip header without a file name
// or time (node's zlib writes mtime 0 and OS byte 3 = Unix). Only regular
// files and directories; names as `./path` like OpenWrt's ipkg-build.
import { gzipSync } from 'node:zlib'

const BLOCK = 512
const RECORD = 20 * BLOCK // GNU tar's default record size; readers expect none, some like it

/** @typedef {{ name: string, type: 'file' | 'dir', mode: number, data?: Buffer }} TarEntry */

export class TarError extends Error {
  name = 'TarError'
}

function octal (value, width) {
  // width includes the terminating NUL
  const s = value.toString(8)
  if (s.length > width - 1) throw new TarError(`value ${value} does not fit in ${width} bytes`)
  return s.padStart(width - 1, '0') + '\0'
}

/** Split a path into ustar's prefix (155) and name (100) fields. */
function splitName (path) {
  if (Buffer.byteLength(path) <= 100) return { prefix: '', name: path }
  const trimmed = path.endsWith('/') ? path.slice(0, -1) : path
  for (let i = trimmed.length - 1; i > 0; i--) {
    if (trimmed[i] !== '/') continue
    const prefix = trimmed.slice(0, i)
    const name = path.slice(i + 1)
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name.length > 0) return { prefix, name }
  }
  throw new TarError(`path too long for ustar: ${path}`)
}

function header (entry, mtime) {
  const buf = Buffer.alloc(BLOCK)
  const { prefix, name } = splitName(entry.name)
  const size = entry.type === 'file' ? entry.data.length : 0
  buf.write(name, 0, 100, 'utf8')
  buf.write(octal(entry.mode & 0o7777, 8), 100, 8, 'ascii')
  buf.write(octal(0, 8), 108, 8, 'ascii') // uid
  buf.write(octal(0, 8), 116, 8, 'ascii') // gid
  buf.write(octal(size, 12), 124, 12, 'ascii')
  buf.write(octal(mtime, 12), 136, 12, 'ascii')
  buf.fill(0x20, 148, 156) // checksum field counts as spaces while summing
  buf.write(entry.type === 'dir' ? '5' : '0', 156, 1, 'ascii')
  buf.write('ustar\0', 257, 6, 'ascii')
  buf.write('00', 263, 2, 'ascii')
  buf.write('root', 265, 32, 'ascii')
  buf.write('root', 297, 32, 'ascii')
  buf.write(octal(0, 8), 329, 8, 'ascii') // devmajor
  buf.write(octal(0, 8), 337, 8, 'ascii') // devminor
  buf.write(prefix, 345, 155, 'utf8')
  let sum = 0
  for (const byte of buf) sum += byte
  buf.write(octal(sum, 7) + ' ', 148, 8, 'ascii')
  return buf
}

/**
 * A tar archive of `entries`, sorted by name unless `sort` is false (the
 * caller lists every directory it wants as an entry of type 'dir' with a
 * trailing '/').
 * @param {TarEntry[]} entries
 * @param {{ mtime?: number, sort?: boolean }} [opts]
 */
export function tar (entries, opts = {}) {
  const mtime = opts.mtime ?? 0
  const sorted = opts.sort === false
    ? entries
    : [...entries].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)))
  const seen = new Set()
  const parts = []
  for (const e of sorted) {
    if (seen.has(e.name)) throw new TarError(`duplicate entry ${e.name}`)
    seen.add(e.name)
    if (e.type === 'file' && !Buffer.isBuffer(e.data)) throw new TarError(`file ${e.name} has no data`)
    parts.push(header(e, mtime))
    if (e.type === 'file') {
      parts.push(e.data)
      const pad = (BLOCK - (e.data.length % BLOCK)) % BLOCK
      if (pad > 0) parts.push(Buffer.alloc(pad))
    }
  }
  parts.push(Buffer.alloc(2 * BLOCK))
  const body = Buffer.concat(parts)
  const padded = Math.ceil(body.length / RECORD) * RECORD
  return Buffer.concat([body, Buffer.alloc(padded - body.length)])
}

/** gzip with a fixed header: no name, mtime 0, OS byte forced to 3 (Unix). */
export function gzip (data) {
  const out = gzipSync(data, { level: 9 })
  out[9] = 3
  return out
}

/** Directory entries for every parent of `paths` (`./usr/`, `./usr/lib/`, ...), plus `./`. */
export function parentDirs (paths) {
  const dirs = new Set(['./'])
  for (const p of paths) {
    const parts = p.replace(/^\.\//, '').split('/')
    for (let i = 1; i < parts.length; i++) dirs.add('./' + parts.slice(0, i).join('/') + '/')
  }
  return [...dirs]
}
