import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { orderRequestSchema } from '../orders/order-schema.js';
import { openApiDocument } from './openapi.js';

interface JsonSchema {
  properties: Record<string, { enum?: string[]; default?: unknown; pattern?: string; type?: unknown }>;
  required: string[];
  additionalProperties: boolean;
}

describe('the OpenAPI document', () => {
  const doc = openApiDocument('1.2.3') as {
    openapi: string;
    info: { version: string; description: string };
    paths: Record<string, Record<string, { security?: unknown[] }>>;
    components: { schemas: Record<string, JsonSchema> };
  };

  it('is OpenAPI 3.1 and describes every orders, restart, round-trip and sync route, with bearer auth on the mutating ones', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.version).toBe('1.2.3');
    const routes = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(
        ([method, op]) => `${method.toUpperCase()} ${path}${op.security ? ' (bearer)' : ''}`,
      ),
    );
    expect(routes.sort()).toEqual(
      [
        'GET /gateway/restart',
        'GET /orders',
        'GET /orders/{id}',
        'GET /positions/history',
        'GET /positions/{id}',
        'GET /positions/{id}/trades',
        'POST /gateway/restart (bearer)',
        'POST /orders (bearer)',
        'POST /orders/{id}/cancel (bearer)',
        'GET /sync/status',
        'POST /sync/start (bearer)',
        'POST /sync/stop (bearer)',
      ].sort(),
    );
  });

  it('gives round-trip money as numbers or null, the exact text in ledger, and points at the docs that exist', () => {
    const { RoundTrip, RoundTripFill } = doc.components.schemas;
    for (const [schema, fields] of [
      [RoundTrip!, ['realized_pnl', 'commissions']],
      [RoundTripFill!, ['commission', 'realized_pnl']],
    ] as const) {
      for (const field of fields) expect(schema.properties[field]?.type, field).toEqual(['number', 'null']);
    }
    const ledger = RoundTrip!.properties.ledger as unknown as { items: JsonSchema };
    expect(ledger.items.properties.realized_pnl?.type).toBe('string');
    expect(ledger.items.properties.basis?.enum).toEqual(['api', 'flex', 'mixed']);
    expect(ledger.items.required).toContain('basis');
    const pages = doc.info.description.match(/docs\/[\w-]+\.md/g) ?? [];
    expect(pages).toContain('docs/http-api.md');
    for (const page of pages)
      expect(existsSync(new URL(`../../../${page}`, import.meta.url)), page).toBe(true);
  });

  it('says the basis of every realized PnL: api, flex or mixed on a round trip, api or flex on a fill, null when unknown', () => {
    const { RoundTrip, RoundTripFill } = doc.components.schemas;
    const nullableEnum = (schema: JsonSchema, field: string) =>
      (schema.properties[field] as unknown as { anyOf: Array<{ enum?: string[]; type?: string }> }).anyOf;
    expect(nullableEnum(RoundTrip!, 'basis')).toEqual([
      expect.objectContaining({ enum: ['api', 'flex', 'mixed'] }),
      { type: 'null' },
    ]);
    expect(nullableEnum(RoundTripFill!, 'pnl_source')).toEqual([
      expect.objectContaining({ enum: ['api', 'flex'] }),
      { type: 'null' },
    ]);
    expect(RoundTrip!.required).toContain('basis');
    expect(RoundTripFill!.required).toContain('pnl_source');
    expect(JSON.stringify(RoundTrip!.properties.basis)).toMatch(/average cost.*FIFO by tax lot/);
  });

  it('takes the order request from the zod schema: the same fields, enums, defaults and strictness', () => {
    const schema = doc.components.schemas.OrderRequest!;
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(orderRequestSchema.shape).sort());
    expect(schema.required.sort()).toEqual(['qty', 'side', 'symbol']);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.order_type?.default).toBe('MKT');
    expect(doc.components.schemas.RestartRequest!.properties.mode?.enum).toEqual(['cold', 'soft']);
  });

  it("accepts the IBKR PnL Tracker's spellings in the documented patterns, as validation does", () => {
    const { properties } = doc.components.schemas.OrderRequest!;
    const accepts = (field: string, value: string) => new RegExp(properties[field]!.pattern!).test(value);
    for (const side of ['BUY', 'buy', 'Sell']) expect(accepts('side', side)).toBe(true);
    for (const type of ['MKT', 'lmt', 'market', 'Limit']) expect(accepts('order_type', type)).toBe(true);
    for (const session of ['RTH', 'extended', 'Overnight'])
      expect(accepts('trading_session', session)).toBe(true);
    expect(accepts('side', 'bye')).toBe(false);
    expect(accepts('order_type', 'STP')).toBe(false);
    expect(Object.keys(properties)).toContain('idempotency_key');
    // The answer carries the fields a tracker client reads.
    const order = doc.components.schemas.Order!.properties;
    expect(Object.keys(order)).toEqual(expect.arrayContaining(['status', 'order_id', 'request_id']));
    expect(order.side?.enum).toEqual(['BUY', 'SELL']);
  });
});
