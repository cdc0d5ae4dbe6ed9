/**
 * The BAL's answer to a data server (issue 13 §4): a 61968-100 ResponseMessage, `Verb=reply`,
 * `Noun=MeterReadings`, CorrelationID = the message's MessageID (its payload's keccak256 when the
 * message could not be read that far; nothing when not even the wrapper was), in the message's own format
 * (XML when it could not be read). Result OK carries one INFORM entry with the counts
 * (`stored N, duplicate M`); FAILED one FATAL entry whose `code` is the BAL rejection code,
 * with the CIM_ code and field behind it in `details`.
 */
import { encodeCimJson } from '@lightnode/shared/cim/json-codec';
import { encodeCimXml } from '@lightnode/shared/cim/xml-codec';
import { replyHeader } from '@lightnode/shared/cim/readings-map';
import type { CimMessage } from '@lightnode/shared/cim/model';
import type { CimMessageFacts, CimRejection } from './import-plan.js';

const MAX_TEXT = 256;
const cut = (s: string): string => (s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT - 1)}…` : s).replace(/[\x00-\x1f\x7f]/g, ' ');

export type ReplyOutcome = { stored: number; duplicate: number } | CimRejection;

/** The reply message for `outcome`; `nowIso` and `source` from the caller (no clock here). */
export function cimReply(facts: CimMessageFacts, outcome: ReplyOutcome, nowIso: string, source: string): CimMessage {
  const header = replyHeader({
    Timestamp: nowIso, Source: source, MessageID: `reply-${facts.hash ? facts.hash.slice(2, 26) : Date.parse(nowIso).toString(36)}`,
    ...(facts.messageId ? { CorrelationID: facts.messageId } : facts.hash ? { CorrelationID: facts.hash } : {}),
  });
  if ('code' in outcome) {
    const details = outcome.cause ? cut(`${outcome.cause.code}${outcome.cause.field ? ` at ${outcome.cause.field}` : ''}`) : undefined;
    return { Header: header, Reply: { Result: 'FAILED', Error: [{ code: outcome.code, level: 'FATAL', reason: cut(outcome.reason), ...(details ? { details } : {}) }] } };
  }
  return { Header: header, Reply: { Result: 'OK', Error: [{ code: '0.0', level: 'INFORM', reason: `stored ${outcome.stored}, duplicate ${outcome.duplicate}` }] } };
}

/** Encode the reply in the format of the message it answers. */
export function encodeReply(facts: CimMessageFacts, reply: CimMessage): string {
  return facts.contentType === 'application/json' ? encodeCimJson(reply) : encodeCimXml(reply);
}
