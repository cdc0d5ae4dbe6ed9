/**
 * The MQTT topic layout (DESIGN §4), versioned, in one place:
 *   ln/v1/{pod}/readings     device → BAL, signed reading batches (QoS 1)
 *   ln/v1/{pod}/ack          BAL → device, stored / duplicate / rejected sequence numbers
 *   ln/v1/{pod}/status       device → all, retained, also the device's last will
 *   ln/v1/{pod}/setpoints    DSO → device, signed setpoints
 *   ln/v1/{pod}/activations  device → DSO, prompt notice that a setpoint was applied or refused
 */
import { ValidationError } from './errors.js';
import { POD_RE } from './reading.js';

export const TOPIC_PREFIX = 'ln/v1';
export const TOPIC_KINDS = ['readings', 'ack', 'status', 'setpoints', 'activations'] as const;
export type TopicKind = (typeof TOPIC_KINDS)[number];

/** The topic of `kind` for one PoD. Throws `PROTO_TOPIC_INVALID` for a bad PoD or kind. */
export function topicFor(pod: string, kind: TopicKind): string {
  if (typeof pod !== 'string' || !POD_RE.test(pod)) throw new ValidationError('PROTO_TOPIC_INVALID', 'pod', 'an Italian PoD code like IT001E12345678', pod);
  if (!(TOPIC_KINDS as readonly string[]).includes(kind)) throw new ValidationError('PROTO_TOPIC_INVALID', 'kind', TOPIC_KINDS.join(' | '), kind);
  return `${TOPIC_PREFIX}/${pod}/${kind}`;
}

/** A subscription filter for `kind` on every PoD (`ln/v1/+/readings`) or on one PoD. */
export function topicFilter(kind: TopicKind, pod: string | '+' = '+'): string {
  return pod === '+' ? `${TOPIC_PREFIX}/+/${kind}` : topicFor(pod, kind);
}

/** Split a topic of this layout into PoD and kind; `null` for anything else (other prefix, bad PoD, extra levels). */
export function parseTopic(topic: string): { pod: string; kind: TopicKind } | null {
  if (typeof topic !== 'string') return null;
  const parts = topic.split('/');
  if (parts.length !== 4 || `${parts[0]}/${parts[1]}` !== TOPIC_PREFIX) return null;
  const pod = parts[2]!;
  const kind = parts[3]!;
  if (!POD_RE.test(pod) || !(TOPIC_KINDS as readonly string[]).includes(kind)) return null;
  return { pod, kind: kind as TopicKind };
}

/**
 * The consumer-facing layout (docs/data-access.md): the BAL republishes each stored reading of a
 * PoD, and later its anchor notice, on `certified/v1/{pod}/readings`. A subscription is to one
 * such topic.
 */
export const CERTIFIED_PREFIX = 'certified/v1';

/** The certified stream topic of one PoD. Throws `PROTO_TOPIC_INVALID` for a bad PoD. */
export function certifiedTopic(pod: string): string {
  if (typeof pod !== 'string' || !POD_RE.test(pod)) throw new ValidationError('PROTO_TOPIC_INVALID', 'pod', 'an Italian PoD code like IT001E12345678', pod);
  return `${CERTIFIED_PREFIX}/${pod}/readings`;
}

/**
 * Delivery formats of a certified stream: a consumer picks one by the topic it subscribes to
 * (docs/data-access.md "Formats"). `json` is the stream topic itself (certified-message.ts);
 * `cim-xml` and `cim-json` are IEC 61968-9 MeterReadings (`@lightnode/shared/cim/*`) on
 * `certified/v1/{pod}/readings/cim-xml` and `…/cim-json`. A grant of the stream covers all three.
 */
export const CERTIFIED_FORMATS = ['json', 'cim-xml', 'cim-json'] as const;
export type CertifiedFormat = (typeof CERTIFIED_FORMATS)[number];
/** The CIM formats (a subtopic of the stream each). */
export type CimCertifiedFormat = Exclude<CertifiedFormat, 'json'>;

/** The topic of one PoD's certified stream in `format` (`json`: the stream topic). Throws `PROTO_TOPIC_INVALID`. */
export function certifiedFormatTopic(pod: string, format: CertifiedFormat): string {
  if (!(CERTIFIED_FORMATS as readonly string[]).includes(format)) throw new ValidationError('PROTO_TOPIC_INVALID', 'format', CERTIFIED_FORMATS.join(' | '), format);
  return format === 'json' ? certifiedTopic(pod) : `${certifiedTopic(pod)}/${format}`;
}

/** PoD, format and stream topic of a delivery topic (any format); `null` for anything else. */
export function parseCertifiedFormatTopic(topic: string): { pod: string; format: CertifiedFormat; stream: string } | null {
  if (typeof topic !== 'string') return null;
  const cut = topic.lastIndexOf('/');
  const last = topic.slice(cut + 1);
  if (last !== 'json' && (CERTIFIED_FORMATS as readonly string[]).includes(last)) {
    const stream = topic.slice(0, cut);
    const s = parseCertifiedTopic(stream);
    return s ? { pod: s.pod, format: last as CertifiedFormat, stream } : null;
  }
  const s = parseCertifiedTopic(topic);
  return s ? { pod: s.pod, format: 'json', stream: topic } : null;
}

/** The PoD of a certified stream topic; `null` for anything else. */
export function parseCertifiedTopic(topic: string): { pod: string } | null {
  if (typeof topic !== 'string') return null;
  const parts = topic.split('/');
  if (parts.length !== 4 || `${parts[0]}/${parts[1]}` !== CERTIFIED_PREFIX || parts[3] !== 'readings' || !POD_RE.test(parts[2]!)) return null;
  return { pod: parts[2]! };
}
