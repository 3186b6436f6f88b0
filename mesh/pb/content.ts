import { decodeMessage, encodeMessage, enumeration, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export enum ContentType {
  TEXT = 'TEXT',
  REPLY = 'REPLY',
  REACTION = 'REACTION',
  EDIT = 'EDIT',
  DELETE = 'DELETE',
  TYPING = 'TYPING',
  READ = 'READ',
  FILE_CHUNK = 'FILE_CHUNK',
  CHANNEL_KEY = 'CHANNEL_KEY',
  JOIN = 'JOIN'
}

enum __ContentTypeValues {
  TEXT = 0,
  REPLY = 1,
  REACTION = 2,
  EDIT = 3,
  DELETE = 4,
  TYPING = 5,
  READ = 6,
  FILE_CHUNK = 7,
  CHANNEL_KEY = 8,
  JOIN = 9
}

export namespace ContentType {
  export const codec = (): Codec<ContentType> => {
    return enumeration<ContentType>(__ContentTypeValues)
  }
}

export interface Content {
  type: ContentType
  text: string
  ref: Uint8Array<ArrayBuffer>
  emoji: string
  ttl: number
  file: Uint8Array<ArrayBuffer>
  chunk: number
  chunks: number
  data: Uint8Array<ArrayBuffer>
  nonce: Uint8Array<ArrayBuffer>
}

export namespace Content {
  let _codec: Codec<Content>

  export const codec = (): Codec<Content> => {
    if (_codec == null) {
      _codec = message<Content>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.type != null && __ContentTypeValues[obj.type] !== 0) {
          w.uint32(8)
          ContentType.codec().encode(obj.type, w)
        }

        if ((obj.text != null && obj.text !== '')) {
          w.uint32(18)
          w.string(obj.text)
        }

        if ((obj.ref != null && obj.ref.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.ref)
        }

        if ((obj.emoji != null && obj.emoji !== '')) {
          w.uint32(34)
          w.string(obj.emoji)
        }

        if ((obj.ttl != null && obj.ttl !== 0)) {
          w.uint32(40)
          w.uint64Number(obj.ttl)
        }

        if ((obj.file != null && obj.file.byteLength > 0)) {
          w.uint32(50)
          w.bytes(obj.file)
        }

        if ((obj.chunk != null && obj.chunk !== 0)) {
          w.uint32(56)
          w.uint32(obj.chunk)
        }

        if ((obj.chunks != null && obj.chunks !== 0)) {
          w.uint32(64)
          w.uint32(obj.chunks)
        }

        if ((obj.data != null && obj.data.byteLength > 0)) {
          w.uint32(74)
          w.bytes(obj.data)
        }

        if ((obj.nonce != null && obj.nonce.byteLength > 0)) {
          w.uint32(82)
          w.bytes(obj.nonce)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          type: ContentType.TEXT,
          text: '',
          ref: uint8ArrayAlloc(0),
          emoji: '',
          ttl: 0,
          file: uint8ArrayAlloc(0),
          chunk: 0,
          chunks: 0,
          data: uint8ArrayAlloc(0),
          nonce: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.type = ContentType.codec().decode(reader)
              break
            }
            case 2: {
              obj.text = reader.string()
              break
            }
            case 3: {
              obj.ref = reader.bytes()
              break
            }
            case 4: {
              obj.emoji = reader.string()
              break
            }
            case 5: {
              obj.ttl = reader.uint64Number()
              break
            }
            case 6: {
              obj.file = reader.bytes()
              break
            }
            case 7: {
              obj.chunk = reader.uint32()
              break
            }
            case 8: {
              obj.chunks = reader.uint32()
              break
            }
            case 9: {
              obj.data = reader.bytes()
              break
            }
            case 10: {
              obj.nonce = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.type`,
                value: ContentType.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.text`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.ref`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.emoji`,
                value: reader.string()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.ttl`,
                value: reader.uint64Number()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.file`,
                value: reader.bytes()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.chunk`,
                value: reader.uint32()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.chunks`,
                value: reader.uint32()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.data`,
                value: reader.bytes()
              }
              break
            }
            case 10: {
              yield {
                field: `${prefix}.nonce`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface ContentTypeFieldEvent {
    field: '$.type'
    value: ContentType
  }

  export interface ContentTextFieldEvent {
    field: '$.text'
    value: string
  }

  export interface ContentRefFieldEvent {
    field: '$.ref'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ContentEmojiFieldEvent {
    field: '$.emoji'
    value: string
  }

  export interface ContentTtlFieldEvent {
    field: '$.ttl'
    value: number
  }

  export interface ContentFileFieldEvent {
    field: '$.file'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ContentChunkFieldEvent {
    field: '$.chunk'
    value: number
  }

  export interface ContentChunksFieldEvent {
    field: '$.chunks'
    value: number
  }

  export interface ContentDataFieldEvent {
    field: '$.data'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ContentNonceFieldEvent {
    field: '$.nonce'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<Content>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Content.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Content>): Content {
    return decodeMessage(buf, Content.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Content>): Generator<ContentTypeFieldEvent | ContentTextFieldEvent | ContentRefFieldEvent | ContentEmojiFieldEvent | ContentTtlFieldEvent | ContentFileFieldEvent | ContentChunkFieldEvent | ContentChunksFieldEvent | ContentDataFieldEvent | ContentNonceFieldEvent> {
    return streamMessage(buf, Content.codec(), opts)
  }
}
