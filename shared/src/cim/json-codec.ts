/**
 * JSON form of a CIM MeterReadings message: the model object itself (model.ts), XSD element
 * names as keys, values as decimal strings (reference/cim-61968-9.md §2 "JSON form": the 2011
 * 61968-100 defines no JSON mapping, so we mirror the XSD rather than copy a vendor's shape).
 * Canonical output: XSD key order, empty lists and absent optionals omitted, no whitespace.
 */
import { LightNodeError, ValidationError, describe } from '../errors.js';
import { validateMessage, type CimMessage } from './model.js';

/** Largest JSON message we parse, in UTF-16 code units or bytes (16 MiB, as for XML). */
export const MAX_CIM_JSON_CHARS = 16 * 1024 * 1024;

/** Drop empty lists so JSON and XML carry the same information. */
function compact(_k: string, v: unknown): unknown {
  return Array.isArray(v) && v.length === 0 ? undefined : v;
}

/** Encode a message as canonical JSON text (validated first). */
export function encodeCimJson(message: CimMessage): string {
  return JSON.stringify(validateMessage(message), compact);
}

/** Decode JSON text or UTF-8 bytes into a validated CimMessage (`CIM_JSON_INVALID` and the model's codes). */
export function decodeCimJson(input: string | Uint8Array, maxChars = MAX_CIM_JSON_CHARS): CimMessage {
  let text: string;
  if (input instanceof Uint8Array) {
    if (input.length > maxChars) throw new ValidationError('CIM_JSON_INVALID', 'message', `at most ${maxChars} bytes`, input);
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch (e) {
      throw new LightNodeError('CIM_JSON_INVALID', 'message: expected UTF-8', { field: 'message' }, { cause: e });
    }
  } else if (typeof input === 'string') {
    if (input.length > maxChars) throw new ValidationError('CIM_JSON_INVALID', 'message', `at most ${maxChars} characters`, input);
    text = input;
  } else throw new ValidationError('CIM_JSON_INVALID', 'message', 'JSON text or bytes', input);
  let x: unknown;
  try {
    x = JSON.parse(text);
  } catch (e) {
    throw new LightNodeError('CIM_JSON_INVALID', `message: expected JSON, found ${describe(text)}`, { field: 'message' }, { cause: e });
  }
  return validateMessage(x);
}
