// The pins of the IB Gateway image: each version with its checksum (Dockerfile ARG defaults),
// the ledger of checked checksums (installers.sha256) and the image tags that name the versions.
// A pure check, so ib-gateway/pins.test.ts can show each way a pin goes stale.

export const PLACEHOLDER = /^REPLACE_WITH_\w+$/;

interface Component {
  version: string;
  sum: string;
  file: (version: string) => string;
}
const COMPONENTS: Record<string, Component> = {
  'IB Gateway': {
    version: 'IB_GATEWAY_VERSION',
    sum: 'IB_GATEWAY_SHA256',
    file: (v) => `ibgateway-${v}-standalone-linux-x64.sh`,
  },
  IBC: { version: 'IBC_VERSION', sum: 'IBC_SHA256', file: (v) => `IBCLinux-${v}.zip` },
};

/** file name → sha256 from a `sha256sum` file; malformed and duplicate lines are problems. */
export function parseLedger(text: string, problems: string[]): Map<string, string> {
  const ledger = new Map<string, string>();
  const sums = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const match = /^([0-9a-f]{64}) {2}(\S+)$/.exec(line);
    if (match === null) {
      problems.push(`installers.sha256: not "<sha256>  <file>": ${line}`);
      continue;
    }
    const [, sum = '', file = ''] = match;
    if (ledger.has(file)) problems.push(`installers.sha256: ${file} is listed twice`);
    const other = sums.get(sum);
    if (other !== undefined && other !== file)
      problems.push(`installers.sha256: ${file} has the checksum of ${other}`);
    ledger.set(file, sum);
    sums.set(sum, file);
  }
  return ledger;
}

export interface Pins {
  /** The Dockerfile's ARG defaults. */
  args: Map<string, string>;
  /** installers.sha256 as text. */
  ledger: string;
  /** Where our image is referenced (compose, manifests) → the tag used there. */
  tags: Array<{ where: string; tag: string }>;
}

export function checkPins({ args, ledger: ledgerText, tags }: Pins): string[] {
  const problems: string[] = [];
  const ledger = parseLedger(ledgerText, problems);
  const fileOf = new Map([...ledger].map(([file, sum]) => [sum, file]));
  for (const [name, c] of Object.entries(COMPONENTS)) {
    const version = args.get(c.version) ?? '';
    const sum = args.get(c.sum) ?? '';
    const file = c.file(version);
    const recorded = ledger.get(file);
    if (PLACEHOLDER.test(sum)) {
      // Unpinned: the build demands --build-arg. A checked sum for this version must be used.
      if (recorded !== undefined)
        problems.push(`${c.sum} is a placeholder but installers.sha256 records ${file}`);
      continue;
    }
    if (!/^[0-9a-f]{64}$/.test(sum)) {
      problems.push(`${c.sum} must be 64 hex digits or the placeholder (got "${sum}")`);
    } else if (recorded === sum) {
      continue;
    } else if (fileOf.has(sum)) {
      problems.push(
        `${c.sum} is the checksum of ${fileOf.get(sum)}, not of ${file}: update it with ${c.version}`,
      );
    } else if (recorded !== undefined) {
      problems.push(`${c.sum} differs from the checksum installers.sha256 records for ${file}`);
    } else {
      problems.push(`${name} ${version}: record "${sum}  ${file}" in installers.sha256`);
    }
  }
  const expected = `${args.get('IB_GATEWAY_VERSION')}-ibc${args.get('IBC_VERSION')}`;
  for (const { where, tag } of tags) {
    if (tag !== expected) problems.push(`${where} uses the image tag ${tag}, not ${expected}`);
  }
  return problems;
}
