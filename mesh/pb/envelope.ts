import { decodeMessage, encodeMessage, enumeration, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface Envelope {
  body: Uint8Array<ArrayBuffer>
  sig: Uint8Array<ArrayBuffer>
  hops: number
}

export namespace Envelope {
  let _codec: Codec<Envelope>

  export const codec = (): Codec<Envelope> => {
    if (_codec == null) {
      _codec = message<Envelope>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.body != null && obj.body.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.body)
        }

        if ((obj.sig != null && obj.sig.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.sig)
        }

        if ((obj.hops != null && obj.hops !== 0)) {
          w.uint32(24)
          w.uint32(obj.hops)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          body: uint8ArrayAlloc(0),
          sig: uint8ArrayAlloc(0),
          hops: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.body = reader.bytes()
              break
            }
            case 2: {
              obj.sig = reader.bytes()
              break
            }
            case 3: {
              obj.hops = reader.uint32()
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
                field: `${prefix}.body`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.sig`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.hops`,
                value: reader.uint32()
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

  export interface EnvelopeBodyFieldEvent {
    field: '$.body'
    value: Uint8Array<ArrayBuffer>
  }

  export interface EnvelopeSigFieldEvent {
    field: '$.sig'
    value: Uint8Array<ArrayBuffer>
  }

  export interface EnvelopeHopsFieldEvent {
    field: '$.hops'
    value: number
  }

  export function encode (obj: Partial<Envelope>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Envelope.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Envelope>): Envelope {
    return decodeMessage(buf, Envelope.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Envelope>): Generator<EnvelopeBodyFieldEvent | EnvelopeSigFieldEvent | EnvelopeHopsFieldEvent> {
    return streamMessage(buf, Envelope.codec(), opts)
  }
}

export enum Kind {
  KIND_UNSPECIFIED = 'KIND_UNSPECIFIED',
  DIRECT = 'DIRECT',
  CHANNEL = 'CHANNEL',
  ACK = 'ACK',
  ANNOUNCE = 'ANNOUNCE',
  CONTROL = 'CONTROL'
}

enum __KindValues {
  KIND_UNSPECIFIED = 0,
  DIRECT = 1,
  CHANNEL = 2,
  ACK = 3,
  ANNOUNCE = 4,
  CONTROL = 5
}

export namespace Kind {
  export const codec = (): Codec<Kind> => {
    return enumeration<Kind>(__KindValues)
  }
}

export enum Priority {
  NORMAL = 'NORMAL',
  CRITICAL = 'CRITICAL',
  LOW = 'LOW'
}

enum __PriorityValues {
  NORMAL = 0,
  CRITICAL = 1,
  LOW = 2
}

export namespace Priority {
  export const codec = (): Codec<Priority> => {
    return enumeration<Priority>(__PriorityValues)
  }
}

export interface Body {
  v: number
  kind: Kind
  from: Uint8Array<ArrayBuffer>
  to: Uint8Array<ArrayBuffer>
  created: number
  expires: number
  priority: Priority
  ref: Uint8Array<ArrayBuffer>
  payload: Uint8Array<ArrayBuffer>
}

export namespace Body {
  let _codec: Codec<Body>

  export const codec = (): Codec<Body> => {
    if (_codec == null) {
      _codec = message<Body>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.v != null && obj.v !== 0)) {
          w.uint32(8)
          w.uint32(obj.v)
        }

        if (obj.kind != null && __KindValues[obj.kind] !== 0) {
          w.uint32(16)
          Kind.codec().encode(obj.kind, w)
        }

        if ((obj.from != null && obj.from.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.from)
        }

        if ((obj.to != null && obj.to.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.to)
        }

        if ((obj.created != null && obj.created !== 0)) {
          w.uint32(40)
          w.uint64Number(obj.created)
        }

        if ((obj.expires != null && obj.expires !== 0)) {
          w.uint32(48)
          w.uint64Number(obj.expires)
        }

        if (obj.priority != null && __PriorityValues[obj.priority] !== 0) {
          w.uint32(56)
          Priority.codec().encode(obj.priority, w)
        }

        if ((obj.ref != null && obj.ref.byteLength > 0)) {
          w.uint32(66)
          w.bytes(obj.ref)
        }

        if ((obj.payload != null && obj.payload.byteLength > 0)) {
          w.uint32(74)
          w.bytes(obj.payload)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          v: 0,
          kind: Kind.KIND_UNSPECIFIED,
          from: uint8ArrayAlloc(0),
          to: uint8ArrayAlloc(0),
          created: 0,
          expires: 0,
          priority: Priority.NORMAL,
          ref: uint8ArrayAlloc(0),
          payload: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.v = reader.uint32()
              break
            }
            case 2: {
              obj.kind = Kind.codec().decode(reader)
              break
            }
            case 3: {
              obj.from = reader.bytes()
              break
            }
            case 4: {
              obj.to = reader.bytes()
              break
            }
            case 5: {
              obj.created = reader.uint64Number()
              break
            }
            case 6: {
              obj.expires = reader.uint64Number()
              break
            }
            case 7: {
              obj.priority = Priority.codec().decode(reader)
              break
            }
            case 8: {
              obj.ref = reader.bytes()
              break
            }
            case 9: {
              obj.payload = reader.bytes()
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
                field: `${prefix}.v`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.kind`,
                value: Kind.codec().decode(reader)
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.from`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.to`,
                value: reader.bytes()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.created`,
                value: reader.uint64Number()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.expires`,
                value: reader.uint64Number()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.priority`,
                value: Priority.codec().decode(reader)
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.ref`,
                value: reader.bytes()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.payload`,
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

  export interface BodyVFieldEvent {
    field: '$.v'
    value: number
  }

  export interface BodyKindFieldEvent {
    field: '$.kind'
    value: Kind
  }

  export interface BodyFromFieldEvent {
    field: '$.from'
    value: Uint8Array<ArrayBuffer>
  }

  export interface BodyToFieldEvent {
    field: '$.to'
    value: Uint8Array<ArrayBuffer>
  }

  export interface BodyCreatedFieldEvent {
    field: '$.created'
    value: number
  }

  export interface BodyExpiresFieldEvent {
    field: '$.expires'
    value: number
  }

  export interface BodyPriorityFieldEvent {
    field: '$.priority'
    value: Priority
  }

  export interface BodyRefFieldEvent {
    field: '$.ref'
    value: Uint8Array<ArrayBuffer>
  }

  export interface BodyPayloadFieldEvent {
    field: '$.payload'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<Body>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Body.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Body>): Body {
    return decodeMessage(buf, Body.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Body>): Generator<BodyVFieldEvent | BodyKindFieldEvent | BodyFromFieldEvent | BodyToFieldEvent | BodyCreatedFieldEvent | BodyExpiresFieldEvent | BodyPriorityFieldEvent | BodyRefFieldEvent | BodyPayloadFieldEvent> {
    return streamMessage(buf, Body.codec(), opts)
  }
}
