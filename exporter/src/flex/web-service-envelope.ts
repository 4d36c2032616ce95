// What the Flex Web Service answers, read with an XML parser: a FlexStatementResponse envelope
// (SendRequest's reference code, or an error code for either step) or, from GetStatement, the
// statement itself (a FlexQueryResponse, whose content the statement parser reads, not this one).
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export type FlexServiceAnswer =
  | { kind: 'reference'; referenceCode: string; url?: string }
  | { kind: 'statement' }
  | { kind: 'error'; code: number; message: string }
  | { kind: 'unexpected'; problem: string };

const parser = new XMLParser({
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  parseTagValue: false,
  trimValues: true,
  // The statement can be megabytes: only its root element is looked at here.
  stopNodes: ['FlexQueryResponse'],
});

const text = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;

/** Classifies one answer of SendRequest or GetStatement; never throws. */
export function parseFlexServiceAnswer(xml: string): FlexServiceAnswer {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    return { kind: 'unexpected', problem: `not XML (line ${valid.err.line}: ${valid.err.msg})` };
  }
  const document = parser.parse(xml) as Record<string, unknown>;
  if ('FlexQueryResponse' in document) return { kind: 'statement' };
  const envelope = document.FlexStatementResponse;
  if (typeof envelope !== 'object' || envelope === null) {
    const root = Object.keys(document)[0];
    return { kind: 'unexpected', problem: root ? `unexpected root element <${root}>` : 'an empty document' };
  }
  const fields = envelope as Record<string, unknown>;
  const status = text(fields.Status)?.toLowerCase();
  const reference = text(fields.ReferenceCode);
  if (status === 'success' && reference) {
    const url = text(fields.Url);
    return { kind: 'reference', referenceCode: reference, ...(url ? { url } : {}) };
  }
  const code = Number(text(fields.ErrorCode));
  if (Number.isInteger(code) && code > 0) {
    return { kind: 'error', code, message: text(fields.ErrorMessage) ?? '' };
  }
  return { kind: 'unexpected', problem: `a response with status ${status ?? 'none'} and no error code` };
}
