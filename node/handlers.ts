/** Every control API method: mail, contacts and node methods (api.ts) plus channels (api-channels.ts). */
import { handlers as core, type Handler } from './api.js'
import { channelHandlers } from './api-channels.js'

export const allHandlers: Record<string, Handler> = { ...core, ...channelHandlers }
