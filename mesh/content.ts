/** Inner content: encode and decode the sealed plaintext (mesh/pb/content.proto). */
import crypto from 'node:crypto'
import { Content, ContentType } from './pb/content.js'
import { OpenFailedError } from './errors.js'

export { Content, ContentType }

export interface ContentInit {
  type?: ContentType
  text?: string
  ref?: Uint8Array
  emoji?: string
  ttl?: number
  file?: Uint8Array
  chunk?: number
  chunks?: number
  data?: Uint8Array
}

export function encodeContent (init: ContentInit): Uint8Array {
  return Content.encode({
    type: init.type ?? ContentType.TEXT,
    text: init.text ?? '',
    ref: (init.ref ?? new Uint8Array(0)) as Uint8Array<ArrayBuffer>,
    emoji: init.emoji ?? '',
    ttl: init.ttl ?? 0,
    file: (init.file ?? new Uint8Array(0)) as Uint8Array<ArrayBuffer>,
    chunk: init.chunk ?? 0,
    chunks: init.chunks ?? 0,
    data: (init.data ?? new Uint8Array(0)) as Uint8Array<ArrayBuffer>,
    nonce: crypto.randomBytes(8) as Uint8Array<ArrayBuffer>
  })
}

export function decodeContent (bytes: Uint8Array): Content {
  try {
    return Content.decode(bytes)
  } catch (err) {
    throw new OpenFailedError(`content does not decode: ${(err as Error).message}`)
  }
}
