/**
 * XML form of a CIM MeterReadings message (model.ts): the IEC 61968-100 message elements of
 * MeterReadingsMessage.xsd (`CreatedMeterReadings`, `MeterReadingsResponseMessage`, …), the
 * Header/Reply children in the 61968-100 namespace and the payload in the MeterReadings#
 * namespace (reference/cim-61968-9.md §1, §2). One table (MESSAGE below) drives both directions,
 * so element names, namespaces and the XSD's element order cannot differ between them.
 * Decoding refuses what the table does not name (`CIM_FIELD_INVALID`), a wrong namespace
 * (`CIM_NAMESPACE_INVALID`), and everything xml-parser.ts refuses; it ends in validateMessage.
 */
import { ValidationError } from '../errors.js';
import { CIM_NS, CIM_VERBS, validateMessage, type CimMessage, type CimVerb } from './model.js';
import { escapeXmlAttr, escapeXmlText, parseXml, type XmlElement, type XmlLimits } from './xml-parser.js';

interface Field { name: string; many?: true; type: 'text' | 'ref' | Spec }
/** A complex type: the namespace of its child elements and the children in XSD order. */
interface Spec { ns: string; fields: Field[] }

const H = CIM_NS.header;
const P = CIM_NS.payload;
const t = (name: string): Field => ({ name, type: 'text' });
const NAME: Spec = { ns: P, fields: [t('name'), { name: 'NameType', type: { ns: P, fields: [t('name')] } }] };
const IDENTIFIED: Spec = { ns: P, fields: [t('mRID'), { name: 'Names', many: true, type: NAME }] };
const QUALITY: Spec = { ns: P, fields: [t('comment'), t('source'), t('timeStamp'), { name: 'ReadingQualityType', type: 'ref' }] };
const qualities: Field = { name: 'ReadingQualities', many: true, type: QUALITY };
const READING: Spec = { ns: P, fields: [t('source'), t('timeStamp'), t('value'), qualities, { name: 'ReadingType', type: 'ref' }] };
const INTERVAL_READING: Spec = { ns: P, fields: [t('source'), t('timeStamp'), t('value'), qualities] };
const INTERVAL_BLOCK: Spec = { ns: P, fields: [{ name: 'IntervalReadings', many: true, type: INTERVAL_READING }, { name: 'ReadingType', type: 'ref' }] };
const METER_READING: Spec = {
  ns: P,
  fields: [
    { name: 'IntervalBlocks', many: true, type: INTERVAL_BLOCK }, { name: 'Meter', type: IDENTIFIED },
    { name: 'Readings', many: true, type: READING }, { name: 'UsagePoint', type: IDENTIFIED },
  ],
};
const MESSAGE: Spec = {
  ns: CIM_NS.message,
  fields: [
    { name: 'Header', type: { ns: H, fields: ['Verb', 'Noun', 'Timestamp', 'Source', 'MessageID', 'CorrelationID'].map(t) } },
    { name: 'Reply', type: { ns: H, fields: [t('Result'), { name: 'Error', many: true, type: { ns: H, fields: ['code', 'level', 'reason', 'details'].map(t) } }] } },
    { name: 'Payload', type: { ns: P, fields: [{ name: 'MeterReadings', type: { ns: P, fields: [{ name: 'MeterReading', many: true, type: METER_READING }] } }] } },
  ],
};

/** Root element of a message of `verb` (MeterReadingsMessage.xsd). */
export function cimRootElement(verb: CimVerb): string {
  return verb === 'reply' ? 'MeterReadingsResponseMessage' : `${verb[0]!.toUpperCase()}${verb.slice(1)}MeterReadings`;
}
const VERB_OF_ROOT = new Map<string, CimVerb>(CIM_VERBS.map((v) => [cimRootElement(v), v]));

const PREFIX: Record<string, string> = { [CIM_NS.message]: 'm:', [CIM_NS.header]: 'h:', [CIM_NS.payload]: '' };

function encodeSpec(spec: Spec, o: Record<string, unknown>, out: string[]): void {
  const px = PREFIX[spec.ns]!;
  for (const f of spec.fields) {
    const v = o[f.name];
    if (v === undefined) continue;
    for (const item of f.many ? (v as unknown[]) : [v]) {
      if (f.type === 'text') out.push(`<${px}${f.name}>${escapeXmlText(item as string)}</${px}${f.name}>`);
      else if (f.type === 'ref') out.push(`<${px}${f.name} ref="${escapeXmlAttr((item as { ref: string }).ref)}"/>`);
      else {
        out.push(`<${px}${f.name}>`);
        encodeSpec(f.type, item as Record<string, unknown>, out);
        out.push(`</${px}${f.name}>`);
      }
    }
  }
}

/**
 * Encode a message as XML text (UTF-8 declaration, no indentation). The message is validated
 * first (validateMessage); equal messages give equal bytes.
 */
export function encodeCimXml(message: CimMessage): string {
  const m = validateMessage(message);
  const root = `m:${cimRootElement(m.Header.Verb)}`;
  const out = [`<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns:m="${CIM_NS.message}" xmlns:h="${CIM_NS.header}" xmlns="${CIM_NS.payload}">`];
  encodeSpec(MESSAGE, m as unknown as Record<string, unknown>, out);
  out.push(`</${root}>\n`);
  return out.join('');
}

function fieldErr(field: string, expected: string, found: unknown): never {
  throw new ValidationError('CIM_FIELD_INVALID', field, expected, found);
}

function decodeSpec(spec: Spec, el: XmlElement, path: string): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  let at = 0;
  for (const c of el.children) {
    const field = `${path}.${c.local}`;
    if (c.ns !== spec.ns) throw new ValidationError('CIM_NAMESPACE_INVALID', field, `an element of namespace ${spec.ns}`, c.ns || '(no namespace)');
    let i = at;
    while (i < spec.fields.length && spec.fields[i]!.name !== c.local) i++;
    if (i === spec.fields.length) {
      const known = spec.fields.some((f) => f.name === c.local);
      fieldErr(field, known ? `XSD order (${spec.fields.map((f) => f.name).join(', ')})` : `one of ${spec.fields.map((f) => f.name).join(', ')}`, c.local);
    }
    const f = spec.fields[i]!;
    if (!f.many && o[f.name] !== undefined) fieldErr(field, 'at most one', 'a repeat');
    at = f.many ? i : i + 1;
    let v: unknown;
    if (f.type === 'text') {
      if (c.children.length > 0 || Object.keys(c.attrs).length > 0) fieldErr(field, 'text without child elements or attributes', `<${c.local}> with markup`);
      v = c.text;
    } else if (f.type === 'ref') {
      const keys = Object.keys(c.attrs);
      if (c.children.length > 0 || c.text.trim() !== '' || keys.length !== 1 || keys[0] !== 'ref') fieldErr(field, 'an empty element with exactly the attribute ref', `attributes ${keys.join(',') || 'none'}`);
      v = { ref: c.attrs.ref };
    } else {
      if (Object.keys(c.attrs).length > 0) fieldErr(field, 'no attributes', Object.keys(c.attrs).join(','));
      if (c.text !== '') fieldErr(field, 'child elements, not text', c.text);
      v = decodeSpec(f.type, c, field);
    }
    if (f.many) ((o[f.name] ??= []) as unknown[]).push(v);
    else o[f.name] = v;
  }
  return o;
}

/**
 * Decode an XML message (bytes or text) into a validated CimMessage. Throws the parser's codes
 * (`CIM_XML_*`, `CIM_NAMESPACE_INVALID`) and the model's (`CIM_FIELD_INVALID`, …).
 */
export function decodeCimXml(input: string | Uint8Array, limits?: XmlLimits): CimMessage {
  const root = parseXml(input, limits);
  if (root.ns !== CIM_NS.message) throw new ValidationError('CIM_NAMESPACE_INVALID', root.local, `the root element in namespace ${CIM_NS.message}`, root.ns || '(no namespace)');
  const verb = VERB_OF_ROOT.get(root.local);
  if (!verb) fieldErr('root', `one of ${[...VERB_OF_ROOT.keys()].join(', ')}`, root.local);
  if (Object.keys(root.attrs).length > 0) fieldErr(root.local, 'no attributes but namespace declarations', Object.keys(root.attrs).join(','));
  if (root.text !== '') fieldErr(root.local, 'child elements, not text', root.text);
  const message = validateMessage(decodeSpec(MESSAGE, root, root.local));
  if (message.Header.Verb !== verb) fieldErr('Header.Verb', `${verb} (the root element is ${root.local})`, message.Header.Verb);
  return message;
}
