// IB's textual times: the ExecutionFilter.time a client sends, and execDetails.time we send.

/** Offset of `timeZone` from UTC at the instant `epochMs`, in ms (e.g. -5h for New York in winter). */
function zoneOffsetMs(epochMs: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(epochMs));
  const get = (type: Intl.DateTimeFormatPartTypes): number =>
    Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  return asUtc - Math.floor(epochMs / 1000) * 1000;
}

/** Wall-clock fields in a named zone to epoch ms (resolves DST by re-checking the offset). */
function zonedToEpoch(wallAsUtc: number, timeZone: string): number {
  const first = wallAsUtc - zoneOffsetMs(wallAsUtc, timeZone);
  return wallAsUtc - zoneOffsetMs(first, timeZone);
}

/** True when Intl knows the IANA zone name (IB uses names like `US/Eastern`). */
export function isKnownZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Parses ExecutionFilter.time. IB accepts `yyyyMMdd-HH:mm:ss` (UTC) and `yyyyMMdd HH:mm:ss`
 * optionally followed by a zone (`UTC`, `US/Eastern`, ...); seconds may be omitted. Without a
 * zone, real IB uses the Gateway's local zone; the simulator's Gateway lives in UTC.
 * Returns undefined when the text is not a time (the caller decides what that means).
 */
export function parseIbFilterTime(text: string): number | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})[- ]+(\d{2}):(\d{2})(?::(\d{2}))?(?:\s+(\S+))?\s*$/.exec(text.trim());
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, zone] = match;
  const wallAsUtc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0));
  if (Number.isNaN(wallAsUtc)) return undefined;
  if (zone === undefined || zone === 'UTC' || zone === 'GMT') return wallAsUtc;
  if (!isKnownZone(zone)) return undefined;
  return zonedToEpoch(wallAsUtc, zone);
}

/**
 * execDetails.time as `yyyyMMdd HH:mm:ss <zone>`. Recent Gateways send the zone of the Gateway
 * (`20231116 10:30:01 US/Eastern`); the simulator defaults to UTC.
 */
export function formatIbExecTime(epochMs: number, timeZone = 'UTC'): string {
  const local = new Date(epochMs + (timeZone === 'UTC' ? 0 : zoneOffsetMs(epochMs, timeZone)));
  const pad = (n: number): string => String(n).padStart(2, '0');
  const date = `${local.getUTCFullYear()}${pad(local.getUTCMonth() + 1)}${pad(local.getUTCDate())}`;
  const time = `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
  return `${date} ${time} ${timeZone}`;
}

/** The handshake's connection time, e.g. `20261125 15:41:57 UTC`. */
export function formatConnectionTime(epochMs: number): string {
  return formatIbExecTime(epochMs, 'UTC');
}
