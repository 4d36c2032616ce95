// The IB Gateway and IBC versions and their checksums stay one pin: the repository's own files
// pass the check, and each way of updating only half of a pin fails it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDockerfile } from '../exporter/test/support/dockerfile.js';
import type { Pins } from '../exporter/test/support/gateway-pins.js';
import { checkPins } from '../exporter/test/support/gateway-pins.js';

const ROOT = join(import.meta.dirname, '..');
const text = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** Every reference to this project's gateway image in compose and the manifests. */
function tags(): Pins['tags'] {
  return ['docker-compose.yml', 'k8s/base/gateway/deployment.yaml'].flatMap((where) =>
    [...text(where).matchAll(/ibkr-pnl-exporter\/ib-gateway:(\S+)/g)].map((m) => ({
      where,
      tag: m[1] ?? '',
    })),
  );
}

const repository = (): Pins => ({
  args: parseDockerfile(join(ROOT, 'ib-gateway', 'Dockerfile')).args,
  ledger: text('ib-gateway/installers.sha256'),
  tags: tags(),
});

const SUM_OLD = 'a'.repeat(64);
const SUM_NEW = 'b'.repeat(64);
const SUM_IBC = 'c'.repeat(64);
/** A pinned pair for both components, as after a complete update. */
const pinned = (overrides: Record<string, string> = {}, ledger?: string): Pins => ({
  args: new Map(
    Object.entries({
      IB_GATEWAY_VERSION: '10.45.1j',
      IB_GATEWAY_SHA256: SUM_NEW,
      IBC_VERSION: '3.24.1',
      IBC_SHA256: SUM_IBC,
      ...overrides,
    }),
  ),
  ledger:
    ledger ??
    [
      `${SUM_OLD}  ibgateway-10.37.1l-standalone-linux-x64.sh`,
      `${SUM_NEW}  ibgateway-10.45.1j-standalone-linux-x64.sh`,
      `${SUM_IBC}  IBCLinux-3.24.1.zip`,
    ].join('\n'),
  tags: [{ where: 'docker-compose.yml', tag: '10.45.1j-ibc3.24.1' }],
});

describe('IB Gateway and IBC pins', () => {
  it('holds for the repository: Dockerfile, installers.sha256, compose and manifests agree', () => {
    const pins = repository();
    expect(pins.tags.length).toBeGreaterThanOrEqual(3);
    expect(checkPins(pins)).toEqual([]);
  });

  it('holds for a complete update', () => {
    expect(checkPins(pinned())).toEqual([]);
  });

  it('fails when the version moves and the checksum stays', () => {
    expect(checkPins(pinned({ IB_GATEWAY_SHA256: SUM_OLD }))).toEqual([
      'IB_GATEWAY_SHA256 is the checksum of ibgateway-10.37.1l-standalone-linux-x64.sh, not of ibgateway-10.45.1j-standalone-linux-x64.sh: update it with IB_GATEWAY_VERSION',
    ]);
  });

  it('fails when the checksum moves and the version stays', () => {
    expect(checkPins(pinned({ IB_GATEWAY_VERSION: '10.37.1l' }))).toEqual([
      'IB_GATEWAY_SHA256 is the checksum of ibgateway-10.45.1j-standalone-linux-x64.sh, not of ibgateway-10.37.1l-standalone-linux-x64.sh: update it with IB_GATEWAY_VERSION',
      'docker-compose.yml uses the image tag 10.45.1j-ibc3.24.1, not 10.37.1l-ibc3.24.1',
    ]);
  });

  it('fails when a new pair is not recorded, or recorded with another checksum', () => {
    const unrecorded = pinned({ IBC_VERSION: '3.24.2', IBC_SHA256: 'd'.repeat(64) });
    unrecorded.tags = [];
    expect(checkPins(unrecorded)).toEqual([
      `IBC 3.24.2: record "${'d'.repeat(64)}  IBCLinux-3.24.2.zip" in installers.sha256`,
    ]);
    expect(checkPins(pinned({ IBC_SHA256: 'e'.repeat(64) }))).toEqual([
      'IBC_SHA256 differs from the checksum installers.sha256 records for IBCLinux-3.24.1.zip',
    ]);
  });

  it('fails when a recorded checksum is left unused behind a placeholder', () => {
    expect(checkPins(pinned({ IBC_SHA256: 'REPLACE_WITH_THE_IBC_ZIP_SHA256' }))).toEqual([
      'IBC_SHA256 is a placeholder but installers.sha256 records IBCLinux-3.24.1.zip',
    ]);
  });

  it('fails on a ledger listing one file or one checksum twice', () => {
    const ledger = [
      `${SUM_NEW}  ibgateway-10.45.1j-standalone-linux-x64.sh`,
      `${SUM_NEW}  ibgateway-10.45.1k-standalone-linux-x64.sh`,
      `${SUM_IBC}  IBCLinux-3.24.1.zip`,
      `${SUM_IBC}  IBCLinux-3.24.1.zip`,
      'not a line',
    ].join('\n');
    expect(checkPins(pinned({}, ledger))).toEqual([
      'installers.sha256: ibgateway-10.45.1k-standalone-linux-x64.sh has the checksum of ibgateway-10.45.1j-standalone-linux-x64.sh',
      'installers.sha256: IBCLinux-3.24.1.zip is listed twice',
      'installers.sha256: not "<sha256>  <file>": not a line',
    ]);
  });
});
