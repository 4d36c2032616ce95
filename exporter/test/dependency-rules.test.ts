// The dependency rules of docs/architecture.md are in the gate: ESLint's own Node API lints small
// snippets under virtual paths of exporter/src with the project's eslint.config.js, so each rule
// is shown to fail a forbidden import and to let the allowed one through.
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const eslint = new ESLint({ cwd: ROOT });

/** The dependency-rule messages ESLint reports for `code` as if it were the file at `path`. */
async function violations(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, path) });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-properties')
    .map((m) => m.message);
}

const use = (name: string) => `\nexport const used = ${name};\n`;

describe('the dependency rules', () => {
  it.each([
    [
      'domain/ importing node:fs',
      'domain/rule.ts',
      `import { readFileSync } from 'node:fs';${use('readFileSync')}`,
      'domain/ is pure',
    ],
    [
      'domain/ importing the store',
      'domain/rule.ts',
      `import { SqliteStore } from '../store/sqlite-store.js';${use('SqliteStore')}`,
      'domain/ is pure',
    ],
    [
      'domain/ importing a logger',
      'domain/rule.ts',
      `import pino from 'pino';${use('pino')}`,
      'domain/ is pure',
    ],
    [
      '@stoqey/ib outside ib/',
      'sync/rule.ts',
      `import { IBApi } from '@stoqey/ib';${use('IBApi')}`,
      'only ib/ talks to @stoqey/ib',
    ],
    [
      'better-sqlite3 outside store/',
      'http/rule.ts',
      `import Database from 'better-sqlite3';${use('Database')}`,
      'only store/ touches a database',
    ],
    [
      'pg outside store/',
      'sync/rule.ts',
      `import pg from 'pg';${use('pg')}`,
      'only store/ touches a database',
    ],
    [
      'express outside http/',
      'orders/rule.ts',
      `import express from 'express';${use('express')}`,
      'only http/ speaks HTTP',
    ],
    [
      'an express type outside http/',
      'orders/rule.ts',
      `import type { Request } from 'express';\nexport type R = Request;\n`,
      'only http/ speaks HTTP',
    ],
    [
      'ws outside http/',
      'metrics/rule.ts',
      `import { WebSocketServer } from 'ws';${use('WebSocketServer')}`,
      'only http/ speaks HTTP',
    ],
    [
      'fast-xml-parser outside flex/',
      'sim/rule.ts',
      `import { XMLParser } from 'fast-xml-parser';${use('XMLParser')}`,
      'only flex/ parses Flex XML',
    ],
    [
      'the simulator outside cli/',
      'ib/rule.ts',
      `import { GatewaySimulator } from '../sim/server.js';${use('GatewaySimulator')}`,
      'the simulator is imported only by cli/ and tests',
    ],
    [
      'the simulator in the composition root',
      'exporter.ts',
      `import { GatewaySimulator } from './sim/server.js';${use('GatewaySimulator')}`,
      'the simulator is imported only by cli/ and tests',
    ],
    [
      'process.env outside main.ts and cli/',
      'store/rule.ts',
      `export const path = process.env.IBKR_DB_PATH;\n`,
      'only main.ts and cli/ read the environment',
    ],
    [
      'process.env destructured',
      'config/rule.ts',
      `const { env } = process;${use('env')}`,
      'only main.ts and cli/ read the environment',
    ],
    [
      'env imported from node:process',
      'restart/rule.ts',
      `import { env } from 'node:process';${use('env')}`,
      'only main.ts and cli/ read the environment',
    ],
    [
      'process.env in exporter.ts',
      'exporter.ts',
      `export const level = process.env.IBKR_LOG_LEVEL;\n`,
      'only main.ts and cli/ read the environment',
    ],
  ])('fails the lint on %s', async (_name, path, code, message) => {
    const found = await violations(`exporter/src/${path}`, code);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(message);
  });

  it.each([
    [
      'domain/ importing big.js and itself',
      'domain/rule.ts',
      `import Big from 'big.js';\nimport { addDecimal } from './money.js';${use('[Big, addDecimal]')}`,
    ],
    ['@stoqey/ib in ib/', 'ib/rule.ts', `import { IBApi } from '@stoqey/ib';${use('IBApi')}`],
    ['better-sqlite3 in store/', 'store/rule.ts', `import Database from 'better-sqlite3';${use('Database')}`],
    ['express in http/', 'http/rule.ts', `import express from 'express';${use('express')}`],
    [
      'fast-xml-parser in flex/',
      'flex/rule.ts',
      `import { XMLParser } from 'fast-xml-parser';${use('XMLParser')}`,
    ],
    [
      'the simulator and process.env in cli/',
      'cli/rule.ts',
      `import { GatewaySimulator } from '../sim/server.js';${use('[GatewaySimulator, process.env.DEMO_SIM_PORT]')}`,
    ],
    ['process.env in main.ts', 'main.ts', `export const env = process.env;\n`],
    [
      'the simulator and the real client in a test',
      'ib/rule.test.ts',
      `import { IBApi } from '@stoqey/ib';\nimport { GatewaySimulator } from '../sim/server.js';${use('[IBApi, GatewaySimulator]')}`,
    ],
  ])('lets %s through', async (_name, path, code) => {
    expect(await violations(`exporter/src/${path}`, code)).toEqual([]);
  });
});
