// IB error and notice codes the exporter acts on. Each one is a decision about session health;
// see ../shared/reference/tws-protocol.md §6.

/** Client-generated: the socket failed (ECONNREFUSED while the gateway restarts, ECONNRESET). */
export const CONNECT_FAILED = 502;
/** Client-generated: a request was made while not connected. */
export const NOT_CONNECTED = 504;
/** Client-generated: stoqey's decoder found a message with the wrong field count. */
export const DECODING_ERROR = 505;
/** The client id is already in use, usually our own previous session not yet released. */
export const CLIENT_ID_IN_USE = 326;
/** The gateway lost its link to IB's servers; the socket stays up but data freezes. */
export const CONNECTIVITY_LOST = 1100;
/** Link restored, subscriptions lost: everything must be requested again. */
export const CONNECTIVITY_RESTORED_DATA_LOST = 1101;
/** Link restored, subscriptions kept: only fills made meanwhile need a backfill. */
export const CONNECTIVITY_RESTORED_DATA_KEPT = 1102;
/** Socket port reset by TWS: reconnect. */
export const SOCKET_PORT_RESET = 1300;
/** TWS-to-server connectivity broken; like 1100. */
export const SERVER_CONNECTIVITY_BROKEN = 2110;
/** The same username logged in elsewhere: no market data, PnL may go unset. */
export const COMPETING_SESSION = 10197;

/** Farm status notices ("…farm connection is OK/broken/inactive"): informational, sent on every connect. */
export const FARM_NOTICES: ReadonlySet<number> = new Set([2103, 2104, 2105, 2106, 2107, 2108, 2157, 2158]);

/** Codes that are not problems at all: they must not become the exporter's "last error". */
export function isInformational(code: number): boolean {
  return FARM_NOTICES.has(code) || code === CONNECTIVITY_RESTORED_DATA_KEPT;
}
