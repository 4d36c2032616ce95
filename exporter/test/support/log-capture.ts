// A pino logger whose JSON lines are kept in memory, for tests that check what is (and is not)
// logged: a failure's reason, a secret that must never appear.
import { Writable } from 'node:stream';
import pino from 'pino';
import type { Logger } from 'pino';

export function captureLogs(level: pino.Level = 'trace'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino(
    { level },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
  );
  return { logger, lines };
}
