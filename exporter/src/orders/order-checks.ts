// The checks an order passes before anything is sent to the gateway, as pure functions: the
// configured limits, the notional with the contract's multiplier, the account, and the contract
// lookup's answer. Each throws an OrderError naming the field; none does I/O.
import Big from 'big.js';
import type { ContractMatch } from '../ib/order-session.js';
import { OrderError } from './order-error.js';
import type { OrderRequest } from './order-schema.js';

export interface OrderLimits {
  maxQuantity?: number;
  maxNotional?: number;
}

/** The limits that need no contract: the quantity, and a price to check the notional against. */
export function checkLimits(request: OrderRequest, limits: OrderLimits): void {
  const { maxQuantity, maxNotional } = limits;
  if (maxQuantity !== undefined && request.qty > maxQuantity) {
    throw new OrderError('limits', 'order above the limits', {
      details: [{ field: 'qty', message: `must be at most ${maxQuantity} (IBKR_MAX_ORDER_QUANTITY)` }],
    });
  }
  if (maxNotional !== undefined && request.order_type === 'MKT') {
    throw new OrderError('limits', 'order above the limits', {
      details: [
        {
          field: 'order_type',
          message: 'a MKT order has no price to check against IBKR_MAX_ORDER_NOTIONAL; send a LMT order',
        },
      ],
    });
  }
}

/**
 * qty × price × multiplier against IBKR_MAX_ORDER_NOTIONAL, exactly (big.js). Nothing to check
 * without a limit, a price or a known multiplier: the service checks again once the lookup has
 * given the contract's own multiplier.
 */
export function checkNotional(
  request: OrderRequest,
  maxNotional: number | undefined,
  multiplier?: number,
): void {
  if (maxNotional === undefined || request.price === undefined || multiplier === undefined) return;
  const notional = new Big(String(request.qty)).times(String(request.price)).times(String(multiplier));
  if (notional.gt(String(maxNotional))) {
    throw new OrderError('limits', 'order above the limits', {
      details: [
        {
          field: 'price',
          message: `qty × price × multiplier = ${notional.toFixed()} is above ${maxNotional} (IBKR_MAX_ORDER_NOTIONAL)`,
        },
      ],
    });
  }
}

/** The multiplier known before the lookup: 1 for stocks, the request's own for derivatives. */
export function knownMultiplier(request: OrderRequest): number | undefined {
  return request.sec_type === 'STK' ? 1 : request.multiplier;
}

/** The account to place in: the one asked for if the gateway manages it, or the only one it manages. */
export function chooseAccount(requested: string | undefined, managed: readonly string[]): string {
  if (requested !== undefined) {
    if (!managed.includes(requested)) {
      throw new OrderError('invalid', 'invalid order', {
        details: [
          { field: 'account', message: `is not managed by this gateway (managed: ${managed.join(', ')})` },
        ],
      });
    }
    return requested;
  }
  if (managed.length === 1) return managed[0]!;
  throw new OrderError('invalid', 'invalid order', {
    details: [
      {
        field: 'account',
        message: `is required: the gateway manages ${managed.length} accounts (${managed.join(', ')})`,
      },
    ],
  });
}

/** The one contract the lookup found; none or several is the caller's to fix. */
export function singleContract(request: OrderRequest, matches: readonly ContractMatch[]): ContractMatch {
  const described = `${request.sec_type} ${request.symbol} on ${request.exchange} in ${request.currency}`;
  if (matches.length === 0) {
    throw new OrderError('unknown_contract', 'unknown contract', {
      details: [{ field: 'symbol', message: `no contract found for ${described}` }],
    });
  }
  if (matches.length > 1) {
    const ids = matches
      .slice(0, 5)
      .map((m) => `${m.conId}${m.primaryExchange ? ` (${m.primaryExchange})` : ''}`);
    throw new OrderError('ambiguous_contract', 'ambiguous contract', {
      details: [
        {
          field: 'symbol',
          message: `${matches.length} contracts match ${described}: ${ids.join(', ')}; narrow it with exchange, expiry, strike, right or multiplier`,
        },
      ],
    });
  }
  return matches[0]!;
}
