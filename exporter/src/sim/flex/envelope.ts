// The <FlexStatementResponse> envelope of the Flex Web Service: a reference code on success, an
// error code and IB's text on failure. IB stamps it with its own (New York) wall clock, e.g.
// `timestamp="25 November, 2026 09:35 AM EST"`.
import { flexErrorCode } from './codes.js';
import { xmlElement, xmlTextElement } from './xml.js';

const NEW_YORK = 'America/New_York';

/** IB's envelope timestamp: `dd MMMM, yyyy hh:mm AM zzz` in New York time. */
export function flexTimestamp(epochMs: number): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: NEW_YORK,
    day: '2-digit',
    month: 'long',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hour12: true,
    timeZoneName: 'short',
  }).formatToParts(new Date(epochMs));
  const get = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('day')} ${get('month')}, ${get('year')} ${get('hour')}:${get('minute')} ${get('dayPeriod').toUpperCase()} ${get('timeZoneName')}`;
}

export function successEnvelope(epochMs: number, referenceCode: string, getStatementUrl: string): string {
  return xmlElement(
    'FlexStatementResponse',
    [['timestamp', flexTimestamp(epochMs)]],
    [
      xmlTextElement('Status', 'Success'),
      xmlTextElement('ReferenceCode', referenceCode),
      xmlTextElement('Url', getStatementUrl),
    ],
  );
}

export function errorEnvelope(epochMs: number, code: number): string {
  const error = flexErrorCode(code);
  return xmlElement(
    'FlexStatementResponse',
    [['timestamp', flexTimestamp(epochMs)]],
    [
      xmlTextElement('Status', error.status),
      xmlTextElement('ErrorCode', String(error.code)),
      xmlTextElement('ErrorMessage', error.message),
    ],
  );
}
