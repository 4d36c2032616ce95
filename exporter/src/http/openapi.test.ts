import { describe, expect, it } from 'vitest';
import { orderRequestSchema } from '../orders/order-schema.js';
import { openApiDocument } from './openapi.js';

interface JsonSchema {
  properties: Record<string, { enum?: string[]; default?: unknown }>;
  required: string[];
  additionalProperties: boolean;
}

describe('the OpenAPI document', () => {
  const doc = openApiDocument('1.2.3') as {
    openapi: string;
    info: { version: string };
    paths: Record<string, Record<string, { security?: unknown[] }>>;
    components: { schemas: Record<string, JsonSchema> };
  };

  it('is OpenAPI 3.1 and describes every orders, restart and round-trip route, with bearer auth on the mutating ones', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.version).toBe('1.2.3');
    const routes = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(
        ([method, op]) => `${method.toUpperCase()} ${path}${op.security ? ' (bearer)' : ''}`,
      ),
    );
    expect(routes.sort()).toEqual([
      'GET /gateway/restart',
      'GET /orders',
      'GET /orders/{id}',
      'GET /positions/history',
      'GET /positions/{id}/trades',
      'POST /gateway/restart (bearer)',
      'POST /orders (bearer)',
      'POST /orders/{id}/cancel (bearer)',
    ]);
  });

  it('takes the order request from the zod schema: the same fields, enums, defaults and strictness', () => {
    const schema = doc.components.schemas.OrderRequest!;
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(orderRequestSchema.shape).sort());
    expect(schema.required.sort()).toEqual(['qty', 'side', 'symbol']);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.side?.enum).toEqual(['BUY', 'SELL']);
    expect(schema.properties.order_type?.default).toBe('MKT');
    expect(doc.components.schemas.RestartRequest!.properties.mode?.enum).toEqual(['cold', 'soft']);
  });
});
