// Flex dates and times as the user's query writes them. Flex lets each query choose its date
// format (yyyyMMdd by default, yyyy-MM-dd, MM/dd/yyyy, dd/MM/yyyy, MM/dd/yy, dd/MM/yy, dd-MMM-yy),
// its time format (HHmmss by default, HH:mm:ss) and the separator between them (`;` by default,
// `,`, a space or none; older statements have ISO's `T`), and may append a zone. We read every form that names one day: the slash
// forms are refused, because 03/04/2026 is March 4 in one and April 3 in the other and nothing in
// the statement says which (a wrong day would silently move a fill into another day's PnL).
import { DateTime, IANAZone } from 'luxon';

/** A calendar day, `yyyy-MM-dd`. */
export type FlexDate = string;

/** A wall-clock time as written; `zone` when the statement wrote one (as a luxon zone name). */
export interface FlexDateTime {
  /** `yyyy-MM-dd` */
  date: FlexDate;
  /** `HH:mm:ss` */
  time: string;
  zone?: string;
}

export type Read<T> = { ok: true; value: T } | { ok: false; reason: string };

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

const DATE_FORMS = 'yyyyMMdd, yyyy-MM-dd or dd-MMM-yy';
const TIME_FORMS = 'HHmmss or HH:mm:ss';

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

function day(year: number, month: number, dayOfMonth: number, text: string): Read<FlexDate> {
  const at = DateTime.fromObject({ year, month, day: dayOfMonth }, { zone: 'UTC' });
  if (!at.isValid) return { ok: false, reason: `"${text}" is not a calendar day` };
  return { ok: true, value: `${pad(year, 4)}-${pad(month)}-${pad(dayOfMonth)}` };
}

/** A Flex date in any unambiguous format to `yyyy-MM-dd`. */
export function readFlexDate(text: string): Read<FlexDate> {
  let m = /^(\d{4})(\d{2})(\d{2})$/.exec(text) ?? /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (m) return day(Number(m[1]), Number(m[2]), Number(m[3]), text);
  m = /^(\d{2})-([A-Za-z]{3})-(\d{2})$/.exec(text);
  if (m) {
    const month = MONTHS.indexOf((m[2] as string).toUpperCase()) + 1;
    // Two-digit years: Flex statements reach back to the 2000s at most.
    if (month > 0) return day(2000 + Number(m[3]), month, Number(m[1]), text);
  }
  if (/^\d{1,2}\/\d{1,2}\/\d{2,4}$/.test(text)) {
    return {
      ok: false,
      reason: `"${text}" is ambiguous (MM/dd or dd/MM): set the Flex query's date format to yyyyMMdd or yyyy-MM-dd`,
    };
  }
  return { ok: false, reason: `"${text}" is not a date in a Flex format (${DATE_FORMS})` };
}

function clock(text: string): string | undefined {
  const m = /^(\d{2}):?(\d{2}):?(\d{2})$/.exec(text);
  if (!m || (text.includes(':') && text.length !== 8)) return undefined;
  const [h, min, s] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (h > 23 || min > 59 || s > 59) return undefined;
  return `${pad(h)}:${pad(min)}:${pad(s)}`;
}

/**
 * Zone abbreviations as Java prints them (`zzz`): each one is a fixed offset, daylight saving
 * time having its own name (EST in winter, EDT in summer), so no rule is needed to read them.
 */
const ABBREVIATIONS: Readonly<Record<string, string>> = {
  UTC: 'UTC',
  GMT: 'UTC',
  Z: 'UTC',
  EST: 'UTC-5',
  EDT: 'UTC-4',
  CST: 'UTC-6',
  CDT: 'UTC-5',
  MST: 'UTC-7',
  MDT: 'UTC-6',
  PST: 'UTC-8',
  PDT: 'UTC-7',
  CET: 'UTC+1',
  CEST: 'UTC+2',
  MET: 'UTC+1',
  MEST: 'UTC+2',
  HKT: 'UTC+8',
  JST: 'UTC+9',
};

/** A zone written after a Flex time (or given as an option) to a zone luxon knows. */
export function readFlexZone(text: string): Read<string> {
  const upper = text.toUpperCase();
  const abbreviation = ABBREVIATIONS[upper];
  if (abbreviation) return { ok: true, value: abbreviation };
  const offset = /^(?:UTC|GMT)?([+-])(\d{1,2}):?(\d{2})?$/i.exec(text);
  if (offset) {
    const [sign, hours, minutes] = [offset[1], Number(offset[2]), Number(offset[3] ?? '0')];
    if (hours <= 14 && minutes < 60) {
      return { ok: true, value: `UTC${sign}${hours}${minutes ? `:${pad(minutes)}` : ''}` };
    }
  }
  if (IANAZone.isValidZone(text)) return { ok: true, value: text };
  return {
    ok: false,
    reason: `"${text}" is not a time zone (an IANA name such as US/Eastern, EST/EDT, or +01:00)`,
  };
}

/**
 * A Flex date/time (`20261130;093512`, `2026-11-30;09:35:12`, `2026-11-30 09:35:12 EST`,
 * `20261130093512`, ...) to its wall-clock parts. The zone stays undefined when none is written:
 * which zone that means is the planner's decision (plan-import.ts).
 */
export function readFlexDateTime(text: string): Read<FlexDateTime> {
  const m =
    /^(\d{8}|\d{4}-\d{2}-\d{2}|\d{2}-[A-Za-z]{3}-\d{2}|\d{1,2}\/\d{1,2}\/\d{2,4})[;, T]?(\d{6}|\d{2}:\d{2}:\d{2})(?:\s*([+-]\d{2}:?\d{2})|\s+(\S+))?$/.exec(
      text,
    );
  if (!m) {
    return {
      ok: false,
      reason: `"${text}" is not a date/time in a Flex format (${DATE_FORMS}, then ; , space or nothing, then ${TIME_FORMS}, then an optional zone)`,
    };
  }
  const date = readFlexDate(m[1] as string);
  if (!date.ok) return date;
  const time = clock(m[2] as string);
  if (time === undefined) return { ok: false, reason: `"${text}" has no valid time of day` };
  const written = m[3] ?? m[4];
  if (written === undefined) return { ok: true, value: { date: date.value, time } };
  const zone = readFlexZone(written);
  if (!zone.ok) return zone;
  return { ok: true, value: { date: date.value, time, zone: zone.value } };
}

/** Epoch milliseconds of a wall-clock time in its own zone, else in `zone`. */
export function flexMillis(at: FlexDateTime, zone: string): number | undefined {
  const parsed = DateTime.fromISO(`${at.date}T${at.time}`, { zone: at.zone ?? zone });
  return parsed.isValid ? parsed.toMillis() : undefined;
}
