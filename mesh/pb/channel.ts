import { decodeMessage, encodeMessage, enumeration, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface ChannelBox {
  epoch: number
  box: Uint8Array<ArrayBuffer>
}

export namespace ChannelBox {
  let _codec: Codec<ChannelBox>

  export const codec = (): Codec<ChannelBox> => {
    if (_codec == null) {
      _codec = message<ChannelBox>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.epoch != null && obj.epoch !== 0)) {
          w.uint32(8)
          w.uint32(obj.epoch)
        }

        if ((obj.box != null && obj.box.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.box)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          epoch: 0,
          box: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.epoch = reader.uint32()
              break
            }
            case 2: {
              obj.box = reader.bytes()
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
                field: `${prefix}.epoch`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.box`,
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

  export interface ChannelBoxEpochFieldEvent {
    field: '$.epoch'
    value: number
  }

  export interface ChannelBoxBoxFieldEvent {
    field: '$.box'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<ChannelBox>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ChannelBox.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ChannelBox>): ChannelBox {
    return decodeMessage(buf, ChannelBox.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ChannelBox>): Generator<ChannelBoxEpochFieldEvent | ChannelBoxBoxFieldEvent> {
    return streamMessage(buf, ChannelBox.codec(), opts)
  }
}

export interface ChannelControl {
  action: ChannelControl.Action
  member: Uint8Array<ArrayBuffer>
  epoch: number
  lifetimeMs: number
  name: string
}

export namespace ChannelControl {
  export enum Action {
    NONE = 'NONE',
    REMOVE = 'REMOVE',
    LIFETIME = 'LIFETIME',
    CREATE = 'CREATE'
  }

  enum __ActionValues {
    NONE = 0,
    REMOVE = 1,
    LIFETIME = 2,
    CREATE = 3
  }

  export namespace Action {
    export const codec = (): Codec<Action> => {
      return enumeration<Action>(__ActionValues)
    }
  }

  let _codec: Codec<ChannelControl>

  export const codec = (): Codec<ChannelControl> => {
    if (_codec == null) {
      _codec = message<ChannelControl>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.action != null && __ActionValues[obj.action] !== 0) {
          w.uint32(8)
          ChannelControl.Action.codec().encode(obj.action, w)
        }

        if ((obj.member != null && obj.member.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.member)
        }

        if ((obj.epoch != null && obj.epoch !== 0)) {
          w.uint32(24)
          w.uint32(obj.epoch)
        }

        if ((obj.lifetimeMs != null && obj.lifetimeMs !== 0)) {
          w.uint32(32)
          w.uint64Number(obj.lifetimeMs)
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(42)
          w.string(obj.name)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          action: Action.NONE,
          member: uint8ArrayAlloc(0),
          epoch: 0,
          lifetimeMs: 0,
          name: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.action = ChannelControl.Action.codec().decode(reader)
              break
            }
            case 2: {
              obj.member = reader.bytes()
              break
            }
            case 3: {
              obj.epoch = reader.uint32()
              break
            }
            case 4: {
              obj.lifetimeMs = reader.uint64Number()
              break
            }
            case 5: {
              obj.name = reader.string()
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
                field: `${prefix}.action`,
                value: ChannelControl.Action.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.member`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.epoch`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.lifetimeMs`,
                value: reader.uint64Number()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.name`,
                value: reader.string()
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

  export interface ChannelControlActionFieldEvent {
    field: '$.action'
    value: ChannelControl.Action
  }

  export interface ChannelControlMemberFieldEvent {
    field: '$.member'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChannelControlEpochFieldEvent {
    field: '$.epoch'
    value: number
  }

  export interface ChannelControlLifetimeMsFieldEvent {
    field: '$.lifetimeMs'
    value: number
  }

  export interface ChannelControlNameFieldEvent {
    field: '$.name'
    value: string
  }

  export function encode (obj: Partial<ChannelControl>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ChannelControl.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ChannelControl>): ChannelControl {
    return decodeMessage(buf, ChannelControl.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ChannelControl>): Generator<ChannelControlActionFieldEvent | ChannelControlMemberFieldEvent | ChannelControlEpochFieldEvent | ChannelControlLifetimeMsFieldEvent | ChannelControlNameFieldEvent> {
    return streamMessage(buf, ChannelControl.codec(), opts)
  }
}
