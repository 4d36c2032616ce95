// The Flex Web Service variables: IBKR_FLEX_TOKEN (or _FILE), IBKR_FLEX_QUERY_ID, IBKR_FLEX_SCHEDULE
// and IBKR_FLEX_URL. The schedule is checked by croner, the library that runs it, so what starts
// is what was validated. The token is a secret: no message quotes it.
import { Cron } from 'croner';
import { z } from 'zod';

/** IB's base URL of the Flex Web Service (SendRequest and GetStatement are below it). */
export const FLEX_DEFAULT_URL = 'https://ndcdyn.interactivebrokers.com/AccountManagement/FlexWebService';
/** The zone the schedule is read in: IB's statement clock, as the Alertmanager reset windows. */
export const FLEX_SCHEDULE_TIMEZONE = 'America/New_York';
/** 06:30 New York time every day: IB's daily statements are ready by 05:00 New York time. */
export const FLEX_DEFAULT_SCHEDULE = '30 6 * * *';

export interface FlexConfig {
  /** Never log it: it is the only credential the Flex Web Service asks for. */
  token: string;
  queryId: string;
  /** A 5-field cron expression, read in `timezone`. */
  schedule: string;
  timezone: string;
  /** Base URL of the Flex Web Service. */
  url: string;
}

// IB's Flex tokens are long digit strings; letters are allowed in case that changes. Never echoed.
export const flexToken = () =>
  z
    .string()
    .optional()
    .transform((raw) => (raw === undefined || raw.trim() === '' ? undefined : raw.trim()))
    .pipe(
      z
        .string()
        .regex(/^[A-Za-z0-9]{8,128}$/, { message: 'must be 8 to 128 letters or digits (value not shown)' })
        .optional(),
    );

export const flexQueryId = () =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return undefined;
      if (!/^\d{1,20}$/.test(raw.trim())) {
        ctx.addIssue({
          code: 'custom',
          message: `must be the query's numeric id from Client Portal (got "${raw}")`,
        });
        return z.NEVER;
      }
      return raw.trim();
    });

export const flexSchedule = () =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const value = raw === undefined || raw.trim() === '' ? FLEX_DEFAULT_SCHEDULE : raw.trim();
      try {
        new Cron(value, { mode: '5-part', paused: true, timezone: FLEX_SCHEDULE_TIMEZONE }).stop();
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        ctx.addIssue({
          code: 'custom',
          message: `must be a 5-field cron expression such as "${FLEX_DEFAULT_SCHEDULE}" (got "${raw}": ${why})`,
        });
        return z.NEVER;
      }
      return value;
    });

export const flexUrl = () =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const value = raw === undefined || raw.trim() === '' ? FLEX_DEFAULT_URL : raw.trim();
      if (!URL.canParse(value) || !['http:', 'https:'].includes(new URL(value).protocol)) {
        ctx.addIssue({ code: 'custom', message: `must be an absolute http(s) URL (got "${raw}")` });
        return z.NEVER;
      }
      return value.replace(/\/+$/, '');
    });

export interface FlexFields {
  /** Whether IBKR_FLEX_TOKEN or IBKR_FLEX_TOKEN_FILE is set, valid or not. */
  tokenSet: boolean;
  /** Whether IBKR_FLEX_QUERY_ID is set, valid or not. */
  querySet: boolean;
  token?: string;
  queryId?: string;
  schedule?: string;
  url?: string;
}

/** The Flex configuration, or undefined when not configured; a half-configured one is a problem. */
export function flexConfig(
  fields: FlexFields,
  tokenVariable: string,
  problems: string[],
): FlexConfig | undefined {
  const { tokenSet, querySet, token, queryId, schedule, url } = fields;
  if (tokenSet && !querySet) {
    problems.push(`IBKR_FLEX_QUERY_ID: required when ${tokenVariable} is set`);
  }
  if (!tokenSet && querySet) {
    problems.push('IBKR_FLEX_TOKEN: required (or IBKR_FLEX_TOKEN_FILE) when IBKR_FLEX_QUERY_ID is set');
  }
  if (token === undefined || queryId === undefined || schedule === undefined || url === undefined)
    return undefined;
  return { token, queryId, schedule, timezone: FLEX_SCHEDULE_TIMEZONE, url };
}
