// The session's life as one explicit state, so alerts and dashboards can tell "the gateway is
// down" from "the gateway is up but cut off from IB" from "catching up after a reconnect".

export const SYNC_STATES = ['disconnected', 'connecting', 'synchronising', 'live', 'degraded'] as const;
export type SyncState = (typeof SYNC_STATES)[number];

export type SyncEvent =
  /** A TCP connection attempt started. */
  | 'connecting'
  /** The API handshake completed: requests go out, answers are pending. */
  | 'handshaken'
  /** Every initial answer (positions, the execution backfill) has arrived. */
  | 'caught_up'
  /** IB's 1100/2110: the gateway lost IB's servers, the socket is still up. */
  | 'server_lost'
  /** IB's 1101/1102: the link is back; subscriptions or a backfill are being re-requested. */
  | 'server_restored'
  /** The socket closed or the attempt failed. */
  | 'closed';

/** Pure transition function; events that make no sense in a state leave it unchanged. */
export function nextSyncState(state: SyncState, event: SyncEvent): SyncState {
  switch (event) {
    case 'connecting':
      return 'connecting';
    case 'closed':
      return 'disconnected';
    case 'handshaken':
      return state === 'connecting' ? 'synchronising' : state;
    case 'caught_up':
      return state === 'synchronising' ? 'live' : state;
    case 'server_lost':
      return state === 'disconnected' || state === 'connecting' ? state : 'degraded';
    case 'server_restored':
      return state === 'degraded' || state === 'live' ? 'synchronising' : state;
  }
}
