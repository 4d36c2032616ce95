// IB error and notice codes the exporter acts on. Each one is a decision about session health;
// see docs/tws-protocol.md#error-and-notice-codes.

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
/** Market data (2103), HMDS (2105) and sec-def (2157) farm broken. */
const FARM_BROKEN: ReadonlySet<number> = new Set([2103, 2105, 2157]);
/** The same farms OK again (2104, 2106, 2158). */
const FARM_OK: ReadonlySet<number> = new Set([2104, 2106, 2158]);

/** Codes that are not problems at all: they must not become the exporter's "last error". */
export function isInformational(code: number): boolean {
  return FARM_NOTICES.has(code) || code === CONNECTIVITY_RESTORED_DATA_KEPT;
}

export type NoticeAction =
  | 'request_error'
  | 'server_lost'
  | 'restored_data_lost'
  | 'restored_data_kept'
  | 'farm'
  | 'competing_session'
  | 'client_id_in_use'
  | 'reconnect'
  | 'decoding_error'
  | 'informational'
  | 'error';

/** What one IB error or notice means for the session. The one place these decisions live. */
export function classifyNotice(code: number, reqId: number): NoticeAction {
  // A competing session is reported against the market-data request it starved, but it is
  // about the whole login, so it is the one request-bound code that changes session health.
  if (code === COMPETING_SESSION) return 'competing_session';
  if (code === DECODING_ERROR) return 'decoding_error';
  // Errors tied to a request (reqId >= 0) concern that request only, never the connection.
  if (reqId >= 0) return 'request_error';
  switch (code) {
    case CONNECTIVITY_LOST:
    case SERVER_CONNECTIVITY_BROKEN:
      return 'server_lost';
    case CONNECTIVITY_RESTORED_DATA_LOST:
      return 'restored_data_lost';
    case CONNECTIVITY_RESTORED_DATA_KEPT:
      return 'restored_data_kept';
    case CLIENT_ID_IN_USE:
      return 'client_id_in_use';
    case CONNECT_FAILED:
    case NOT_CONNECTED:
    case SOCKET_PORT_RESET:
      return 'reconnect';
  }
  if (FARM_OK.has(code) || FARM_BROKEN.has(code)) return 'farm';
  return isInformational(code) ? 'informational' : 'error';
}

/** Farm names are short lower-case identifiers (usfarm, ushmds, secdefnj, cashfarm, usfarm.nj). */
const FARM_NAME = /^[A-Za-z0-9._-]{1,40}$/;

/** The farm a 2103/2104/2105/2106/2157/2158 notice is about ("…connection is OK:usfarm"). */
export function farmStatus(code: number, message: string): { farm: string; connected: boolean } | undefined {
  if (!FARM_OK.has(code) && !FARM_BROKEN.has(code)) return undefined;
  const farm = message.slice(message.lastIndexOf(':') + 1).trim();
  // A name that is not one is hostile or garbled input: no label is made from it.
  if (!FARM_NAME.test(farm)) return undefined;
  return { farm, connected: FARM_OK.has(code) };
}
