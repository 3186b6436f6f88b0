/** Events a FunkpostNode emits (the control socket forwards them to subscribers). */
import type { HistoryEntry } from '../store-forward/history.js'
import type { Via } from '../store-forward/mailroom.js'

export interface NodeEvents {
  message: [HistoryEntry]
  delivered: [HistoryEntry]
  updated: [HistoryEntry]
  typing: [{ from: string }]
  'peer:join': [{ id: string }]
  'peer:leave': [{ id: string }]
  outbox: [{ id: string, change: 'added' | 'removed' }]
  received: [{ id: string, via: Via, code: string, kind: string }]
}
