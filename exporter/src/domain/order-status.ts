// IB's order states and which of them are final. The order store filters open orders by them,
// the order service refuses to cancel a finished order by them and the API validates a status
// filter against them, so each backend and the HTTP layer share one list.

/** IB's order states, as orderStatus and openOrder report them. */
export const ORDER_STATUSES = [
  'PendingSubmit',
  'PreSubmitted',
  'Submitted',
  'PendingCancel',
  'Cancelled',
  'ApiCancelled',
  'Filled',
  'Inactive',
] as const;

export type OrderStatus = (typeof ORDER_STATUSES)[number];

/**
 * States after which nothing more happens to an order. Inactive is final too: IB parks an order
 * there when it rejects it (margin, permissions) and never revives it on its own.
 */
export const TERMINAL_ORDER_STATUSES: readonly OrderStatus[] = [
  'Filled',
  'Cancelled',
  'ApiCancelled',
  'Inactive',
];

const terminal: ReadonlySet<string> = new Set(TERMINAL_ORDER_STATUSES);

/** Whether an order in this state is done; takes any string because stored and IB states are text. */
export function isTerminalStatus(status: string): boolean {
  return terminal.has(status);
}
