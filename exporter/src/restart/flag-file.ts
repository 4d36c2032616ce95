// The seed's compose mode: a cold restart writes the time to a file on a shared volume, and
// something outside (a watcher, the gateway container's entrypoint loop) restarts the gateway.
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes `at` as an ISO-8601 line to `file`, atomically: a watcher never reads a half-written
 * timestamp, because the content goes to a temporary file in the same directory first and
 * rename(2) replaces the old file in one step.
 */
export async function writeRestartFlag(file: string, at: Date): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temp, `${at.toISOString()}\n`, { encoding: 'utf8', mode: 0o644 });
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
