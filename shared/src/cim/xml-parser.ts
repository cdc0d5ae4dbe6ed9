/**
 * A small strict XML reader for exactly the document shape of the CIM codec (xml-codec.ts):
 * elements, attributes, namespaces, text, comments and an XML declaration. Nothing else is
 * accepted: a DOCTYPE (and so every entity declaration, internal or external) is refused with
 * `CIM_XML_DOCTYPE`, a reference to any entity but the five predefined ones and numeric
 * character references with `CIM_XML_ENTITY` — entities are never expanded, so "billion laughs"
 * and XXE have nothing to work with. CDATA and processing instructions are refused as
 * `CIM_XML_MALFORMED` (not part of the shape). Size and depth are bounded (`CIM_XML_LIMIT`)
 * and the walk is iterative, so deep nesting cannot overflow the stack.
 * Why not an npm parser: the workspace has none, and a general parser brings DTD handling we
 * would have to turn off and then test that it stays off; this one cannot do it at all.
 */
import { LightNodeError } from '../errors.js';
import type { ErrorCode } from '../errors.js';

/** One element: resolved namespace URI, local name, unprefixed attributes, children, text. */
export interface XmlElement {
  ns: string;
  local: string;
  /** Unprefixed attributes by name; a prefixed one is keyed `{namespace}local`. */
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Character data with references decoded (whitespace between child elements dropped). */
  text: string;
}

/** Bounds of one parse. */
export interface XmlLimits {
  /** Largest document in UTF-16 code units (string input) or bytes (byte input); default 16 MiB. */
  maxChars?: number;
  /** Deepest element nesting; default 16 (the MeterReadings shape needs 8). */
  maxDepth?: number;
}

export const DEFAULT_XML_MAX_CHARS = 16 * 1024 * 1024;
export const DEFAULT_XML_MAX_DEPTH = 16;
const MAX_ATTRS = 16;

const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const NAME_RE = /[A-Za-z_][A-Za-z0-9_.-]{0,127}(?::[A-Za-z_][A-Za-z0-9_.-]{0,127})?/y;
const WS_RE = /[ \t\r\n]*/y;
// XML 1.0 §2.2: C0 controls other than tab, LF, CR are not characters at all.
const BAD_CHAR_RE = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/;
const DECL_RE = /^<\?xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(["'])1\.[0-9]\1(?:[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(["'])(?:UTF|utf)-8\2)?(?:[ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(["'])(?:yes|no)\3)?[ \t\r\n]*\?>/;
const REF_RE = /&(?:(lt|gt|amp|quot|apos)|#([0-9]{1,7})|#x([0-9A-Fa-f]{1,6})|([A-Za-z_][A-Za-z0-9_.-]{0,127}));?/y;
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function fail(code: ErrorCode, what: string, at: number): never {
  throw new LightNodeError(code, `xml: ${what} at offset ${at}`, { field: 'xml', offset: at });
}

/** Decode the references of a text or attribute value; refuses every named entity but the five. */
function decodeRefs(raw: string, at: number): string {
  let amp = raw.indexOf('&');
  if (amp < 0) return raw;
  let out = '';
  let from = 0;
  while (amp >= 0) {
    REF_RE.lastIndex = amp;
    const m = REF_RE.exec(raw);
    if (!m || !m[0].endsWith(';')) fail('CIM_XML_MALFORMED', `'&' not starting a reference (${JSON.stringify(raw.slice(amp, amp + 12))})`, at);
    const [whole, named, dec, hex, other] = m;
    if (other !== undefined) fail('CIM_XML_ENTITY', `reference to the undeclared entity &${other.slice(0, 32)}; (entities are never expanded)`, at);
    let ch: string;
    if (named !== undefined) ch = PREDEFINED[named]!;
    else {
      const cp = dec !== undefined ? Number(dec) : parseInt(hex!, 16);
      const ok = cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
      if (!ok) fail('CIM_XML_MALFORMED', `character reference to a non-character (${whole})`, at);
      ch = String.fromCodePoint(cp);
    }
    out += raw.slice(from, amp) + ch;
    from = amp + whole.length;
    amp = raw.indexOf('&', from);
  }
  return out + raw.slice(from);
}

function name(s: string, at: number): string {
  NAME_RE.lastIndex = at;
  const m = NAME_RE.exec(s);
  if (!m) fail('CIM_XML_MALFORMED', 'expected a name', at);
  return m[0];
}

function skipWs(s: string, at: number): number {
  WS_RE.lastIndex = at;
  WS_RE.exec(s);
  return WS_RE.lastIndex;
}

/** Skip comments and whitespace (prolog and epilogue); refuse DOCTYPE, CDATA and PIs there. */
function skipMisc(s: string, at: number): number {
  for (;;) {
    at = skipWs(s, at);
    if (s.startsWith('<!--', at)) {
      const end = s.indexOf('-->', at + 4);
      if (end < 0) fail('CIM_XML_MALFORMED', 'unterminated comment', at);
      at = end + 3;
    } else if (s.startsWith('<!', at)) {
      if (/^<!(?:DOCTYPE|ENTITY|ELEMENT|ATTLIST)/i.test(s.slice(at, at + 10))) fail('CIM_XML_DOCTYPE', 'DOCTYPE and entity declarations are refused', at);
      fail('CIM_XML_MALFORMED', 'markup declaration outside the document shape', at);
    } else if (s.startsWith('<?', at)) {
      fail('CIM_XML_MALFORMED', 'processing instructions are not part of the document shape', at);
    } else return at;
  }
}

const NO_RAW: [string, string, number][] = [];
const NO_ATTRS: Record<string, string> = Object.freeze({}) as Record<string, string>;

function prefixNs(scope: Map<string, string>, prefix: string, at: number): string {
  const ns = scope.get(prefix);
  if (ns === undefined) fail('CIM_NAMESPACE_INVALID', `undeclared prefix ${prefix}`, at);
  return ns;
}

interface Open { el: XmlElement; qname: string; scope: Map<string, string>; start: number }

/**
 * Parse one document. `input` is UTF-8 bytes (invalid UTF-8 is refused) or a string. Throws
 * LightNodeError `CIM_XML_MALFORMED`, `CIM_XML_DOCTYPE`, `CIM_XML_ENTITY`, `CIM_XML_LIMIT`,
 * `CIM_NAMESPACE_INVALID` (an undeclared prefix).
 */
export function parseXml(input: string | Uint8Array, limits: XmlLimits = {}): XmlElement {
  const maxChars = limits.maxChars ?? DEFAULT_XML_MAX_CHARS;
  const maxDepth = limits.maxDepth ?? DEFAULT_XML_MAX_DEPTH;
  let s: string;
  if (typeof input === 'string') {
    if (input.length > maxChars) fail('CIM_XML_LIMIT', `document of ${input.length} characters, over the limit of ${maxChars}`, 0);
    s = input;
  } else if (input instanceof Uint8Array) {
    if (input.length > maxChars) fail('CIM_XML_LIMIT', `document of ${input.length} bytes, over the limit of ${maxChars}`, 0);
    try {
      s = new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch {
      fail('CIM_XML_MALFORMED', 'not UTF-8', 0);
    }
  } else {
    throw new LightNodeError('CIM_XML_MALFORMED', 'xml: expected a string or bytes', { field: 'xml' });
  }
  if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
  const bad = BAD_CHAR_RE.exec(s);
  if (bad) fail('CIM_XML_MALFORMED', `forbidden character U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0')}`, bad.index);

  let pos = 0;
  if (s.startsWith('<?xml')) {
    const m = DECL_RE.exec(s);
    if (!m) fail('CIM_XML_MALFORMED', 'XML declaration not version 1.x with encoding UTF-8', 0);
    pos = m[0].length;
  }
  pos = skipMisc(s, pos);
  if (s.charCodeAt(pos) !== 0x3c) fail('CIM_XML_MALFORMED', 'expected the root element', pos);

  const rootScope = new Map<string, string>([['xml', XML_NS]]);
  const stack: Open[] = [];
  let root: XmlElement | null = null;
  const len = s.length;

  while (pos < len) {
    if (root && stack.length === 0) break;
    const lt = s.indexOf('<', pos);
    if (lt < 0) fail('CIM_XML_MALFORMED', `unclosed element <${stack[stack.length - 1]?.qname ?? '?'}>`, pos);
    if (lt > pos) {
      const top = stack[stack.length - 1];
      if (!top) fail('CIM_XML_MALFORMED', 'text outside the root element', pos);
      let raw = s.slice(pos, lt);
      // XML 1.0 §2.11: a literal CR or CR LF is read as LF.
      if (raw.indexOf('\r') >= 0) raw = raw.replace(/\r\n?/g, '\n');
      const txt = decodeRefs(raw, pos);
      top.el.text = top.el.text === '' ? txt : top.el.text + txt;
    }
    const c = s.charCodeAt(lt + 1);
    if (c === 0x2f /* / */) {
      const top = stack.pop();
      if (!top) fail('CIM_XML_MALFORMED', 'end tag without a start tag', lt);
      const q = name(s, lt + 2);
      if (q !== top.qname) fail('CIM_XML_MALFORMED', `</${q}> closes <${top.qname}>`, lt);
      const end = skipWs(s, lt + 2 + q.length);
      if (s.charCodeAt(end) !== 0x3e) fail('CIM_XML_MALFORMED', `expected '>' after </${q}`, end);
      closeElement(top);
      pos = end + 1;
      continue;
    }
    if (c === 0x21 /* ! */) {
      if (s.startsWith('<!--', lt)) {
        const end = s.indexOf('-->', lt + 4);
        if (end < 0) fail('CIM_XML_MALFORMED', 'unterminated comment', lt);
        pos = end + 3;
        continue;
      }
      if (s.startsWith('<![CDATA[', lt)) fail('CIM_XML_MALFORMED', 'CDATA sections are not part of the document shape', lt);
      if (/^<!(?:DOCTYPE|ENTITY|ELEMENT|ATTLIST)/i.test(s.slice(lt, lt + 10))) fail('CIM_XML_DOCTYPE', 'DOCTYPE and entity declarations are refused', lt);
      fail('CIM_XML_MALFORMED', 'unexpected markup declaration', lt);
    }
    if (c === 0x3f /* ? */) fail('CIM_XML_MALFORMED', 'processing instructions are not part of the document shape', lt);

    // Start tag.
    const qname = name(s, lt + 1);
    let at = lt + 1 + qname.length;
    let raw: [string, string, number][] = NO_RAW;
    let selfClosing = false;
    for (;;) {
      const afterWs = skipWs(s, at);
      const ch = s.charCodeAt(afterWs);
      if (ch === 0x3e) { at = afterWs + 1; break; }
      if (ch === 0x2f && s.charCodeAt(afterWs + 1) === 0x3e) { at = afterWs + 2; selfClosing = true; break; }
      if (afterWs === at) fail('CIM_XML_MALFORMED', `expected whitespace, '>' or '/>' in <${qname}>`, at);
      const an = name(s, afterWs);
      let p = skipWs(s, afterWs + an.length);
      if (s.charCodeAt(p) !== 0x3d) fail('CIM_XML_MALFORMED', `expected '=' after attribute ${an}`, p);
      p = skipWs(s, p + 1);
      const quote = s.charCodeAt(p);
      if (quote !== 0x22 && quote !== 0x27) fail('CIM_XML_MALFORMED', `attribute ${an}: expected a quoted value`, p);
      const close = s.indexOf(quote === 0x22 ? '"' : "'", p + 1);
      if (close < 0) fail('CIM_XML_MALFORMED', `attribute ${an}: unterminated value`, p);
      const v = s.slice(p + 1, close);
      if (v.indexOf('<') >= 0) fail('CIM_XML_MALFORMED', `attribute ${an}: '<' in a value`, p);
      if (raw === NO_RAW) raw = [];
      for (const [n] of raw) if (n === an) fail('CIM_XML_MALFORMED', `attribute ${an} repeated`, afterWs);
      if (raw.length >= MAX_ATTRS) fail('CIM_XML_LIMIT', `more than ${MAX_ATTRS} attributes`, afterWs);
      // XML 1.0 §3.3.3: whitespace characters in an attribute value are read as spaces.
      raw.push([an, decodeRefs(v.replace(/[\t\r\n]/g, ' '), p), p]);
      at = close + 1;
    }

    const parent = stack[stack.length - 1];
    if (!parent && root) fail('CIM_XML_MALFORMED', 'a second root element', lt);
    let scope = parent?.scope ?? rootScope;
    for (const [an, v, p] of raw) {
      if (an === 'xmlns' || an.startsWith('xmlns:')) {
        if (scope === (parent?.scope ?? rootScope)) scope = new Map(scope);
        const prefix = an === 'xmlns' ? '' : an.slice(6);
        if (prefix === 'xml' || prefix === 'xmlns' || v === XML_NS) fail('CIM_NAMESPACE_INVALID', `reserved namespace binding ${an}`, p);
        if (prefix !== '' && v === '') fail('CIM_NAMESPACE_INVALID', `empty namespace for prefix ${prefix}`, p);
        scope.set(prefix, v);
      }
    }
    const colon = qname.indexOf(':');
    const ns = colon < 0 ? (scope.get('') ?? '') : prefixNs(scope, qname.slice(0, colon), lt);
    const local = colon < 0 ? qname : qname.slice(colon + 1);
    const attrs: Record<string, string> = raw.length === 0 ? NO_ATTRS : {};
    for (const [an, v, p] of raw) {
      if (an === 'xmlns' || an.startsWith('xmlns:')) continue;
      const i = an.indexOf(':');
      // An unprefixed attribute is in no namespace (Namespaces in XML §6.2).
      const key = i < 0 ? an : `{${prefixNs(scope, an.slice(0, i), p)}}${an.slice(i + 1)}`;
      if (Object.hasOwn(attrs, key)) fail('CIM_XML_MALFORMED', `attribute ${key} repeated`, p);
      attrs[key] = v;
    }
    const el: XmlElement = { ns, local, attrs, children: [], text: '' };
    if (parent) parent.el.children.push(el);
    else root = el;
    const open: Open = { el, qname, scope, start: lt };
    if (stack.length + 1 > maxDepth) fail('CIM_XML_LIMIT', `nesting deeper than ${maxDepth}`, lt);
    if (selfClosing) closeElement(open);
    else stack.push(open);
    pos = at;
  }
  if (!root || stack.length > 0) fail('CIM_XML_MALFORMED', 'document ends inside an element', len);
  const end = skipMisc(s, pos);
  if (end < len) fail('CIM_XML_MALFORMED', 'content after the root element', end);
  return root;
}

function closeElement(open: Open): void {
  const el = open.el;
  // Mixed content is not in the document shape: an element has children or text, not both.
  if (el.children.length > 0) {
    if (!/^[ \t\n]*$/.test(el.text)) fail('CIM_XML_MALFORMED', `text beside child elements in <${open.qname}>`, open.start);
    el.text = '';
  }
}

/** Escape text content for XML (`&`, `<`, `>`). */
export function escapeXmlText(v: string): string {
  return /[&<>]/.test(v) ? v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;') : v;
}

/** Escape an attribute value for XML (double-quoted). */
export function escapeXmlAttr(v: string): string {
  return /[&<>"]/.test(v) ? v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;') : v;
}
