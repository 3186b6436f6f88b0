/** Every control API method: mail, contacts and node methods (api.ts), channels (api-channels.ts), custody (api-held.ts). */
import { handlers as core, type Handler } from './api.js'
import { channelHandlers } from './api-channels.js'
import { heldHandlers } from './api-held.js'

export const allHandlers: Record<string, Handler> = { ...core, ...channelHandlers, ...heldHandlers }
