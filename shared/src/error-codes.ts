/**
 * Error codes of the shared protocol core (`PROTO_`), the Chain 2 parser (`CHAIN2_`), the CIM codec (`CIM_`) and config
 * Error codes of the shared protocol core (`PROTO_`), the Chain 2 parser (`CHAIN2_`), the C37.118
 * synchrophasor codec (`C37_`) and config
 * loading in every package (`CONFIG_`), each with its one-line meaning. Merged into `ErrorCode`
 * so `new LightNodeError('PROTO_TYPO', …)` fails the typecheck; the README table is checked
 * against this list (shared/test/error-catalogue.test.ts).
 */
import type { CodesOf } from './errors.js';

export const SHARED_ERRORS = {
  PROTO_ADDRESS_INVALID: 'not a 20-byte 0x address',
  PROTO_DOMAIN_INVALID: 'EIP-712 domain: chain id not a positive safe integer, or registry not an address',
  PROTO_HEX_INVALID: 'not 0x-prefixed hex of the expected length',
  PROTO_MERKLE_ENGINE_UNAVAILABLE: "merkle engine 'wasm' asked for without WebAssembly",
  PROTO_MERKLE_INVALID: 'no leaves, a leaf not 32 bytes, or a bad leaf index',
  PROTO_MERKLE_LEAF_UNKNOWN: 'the leaf is not in the tree',
  PROTO_MESSAGE_INVALID: 'message not UTF-8 JSON, wrong `v`, or a bad or unknown field',
  PROTO_MESSAGE_TOO_LARGE: 'message over its size limit (1 MiB for a batch)',
  PROTO_PMU_JSON_INVALID: 'Platone PMU JSON payload malformed (the field is named)',
  PROTO_POD_MISMATCH: "a reading of another PoD than the topic's",
  PROTO_QUANTITY_UNKNOWN: 'quantity code not in the quantity table',
  PROTO_READING_INVALID: 'a reading field breaks a rule (the field is named)',
  PROTO_RECEIPT_DIGEST_MISMATCH: "receipt digest is not the reading's digest",
  PROTO_RECEIPT_INVALID: 'receipt shape is wrong',
  PROTO_RECEIPT_PROOF_INVALID: 'receipt proof does not reach the anchored root',
  PROTO_RECEIPT_SIGNER_MISMATCH: "receipt signature does not recover the receipt's signer",
  PROTO_SETPOINT_INVALID: 'a setpoint field breaks a rule',
  PROTO_SIGNATURE_INVALID: 'signature malformed (length, r/s range, high s, v) or nothing recovers',
  PROTO_SIGNER_MISMATCH: 'a valid signature by someone else (or over other content or domain)',
  PROTO_TOPIC_INVALID: 'PoD or message kind not valid for a topic',
  PROTO_VALUE_NOT_FINITE: 'measured value is NaN or ±Infinity',
  PROTO_VALUE_OUT_OF_RANGE: 'measured value not a safe integer at its resolution',
  CHAIN2_ENVELOPE_UNKNOWN: 'Chain 2 message without a known envelope',
  CHAIN2_FIELD_INVALID: 'Chain 2 field present but malformed',
  CHAIN2_FIELD_MISSING: 'Chain 2 required field missing',
  CHAIN2_JSON_INVALID: 'Chain 2 frame is not JSON',
  CHAIN2_TYPE_UNKNOWN: 'Chain 2 message type not supported',
  CIM_FIELD_INVALID: 'CIM message: an element or field is missing, repeated, out of XSD order, unknown or malformed (the field is named)',
  CIM_INTERVAL_INCOMPLETE: 'CIM quarter-hour data: quarters without a value (missing, partial, counter reset or conflicting readings), counted in Reply.Error; each such quarter carries its quality code',
  CIM_JSON_INVALID: 'CIM message: not UTF-8 JSON, or over the size limit',
  CIM_NAMESPACE_INVALID: 'CIM XML: an element in the wrong namespace, or an undeclared or reserved prefix',
  CIM_QUALITY_INVALID: 'CIM message: a ReadingQualityType ref is not system.category.index',
  CIM_QUANTITY_UNMAPPED: 'CIM export: a quantity with no ReadingType in the OBIS table (left out, listed in Reply.Error)',
  CIM_READING_TYPE_INVALID: 'CIM message: a ReadingType ref is not an 18-part code',
  CIM_READING_TYPE_UNKNOWN: 'CIM message: a ReadingType not in the OBIS table (the code and its meaning are named)',
  CIM_VALUE_INVALID: 'CIM message: a value is not decimal text',
  CIM_VALUE_UNREPRESENTABLE: 'CIM value: not a safe integer at a scale of -18..18, or a scale above the ReadingType multiplier',
  CIM_XML_DOCTYPE: 'CIM XML: a DOCTYPE or entity declaration (refused: no DTD, no external or internal entities)',
  CIM_XML_ENTITY: 'CIM XML: a reference to an entity other than the five predefined ones (never expanded)',
  CIM_XML_LIMIT: 'CIM XML: over the size, depth or attribute limit',
  CIM_XML_MALFORMED: 'CIM XML: not well-formed, not UTF-8, or markup outside the document shape (CDATA, processing instructions)',
  C37_CONFIG_MISMATCH: 'C37.118 data frame whose IDCODE or layout is not the configuration of its stream (or none received yet)',
  C37_CRC_MISMATCH: 'C37.118 frame whose CHK is not the CRC-CCITT of its bytes',
  C37_FIELD_INVALID: 'C37.118 field out of its range (the field is named)',
  C37_FRAME_TRUNCATED: 'C37.118 frame shorter than 16 bytes or than its FRAMESIZE',
  C37_FRAME_TYPE_UNKNOWN: 'C37.118 SYNC frame type not defined for its version, or not the type expected',
  C37_FRAMESIZE_INVALID: "C37.118 FRAMESIZE below 16, not the bytes given, or not what the frame's fields fill",
  C37_SYNC_INVALID: 'C37.118 frame not starting with 0xAA, reserved bit set, or version not 1/2',
  C37_VALUE_NOT_FINITE: 'C37.118 float32 field that is NaN or ±Infinity',
  CONFIG_EXISTS: 'the config file to write exists already (no --force)',
  CONFIG_INVALID: 'a config field or option is invalid (details.field names it)',
  CONFIG_READ: 'a config or deployment file cannot be read',
  CONFIG_SCHEMA: 'a config schema declares two fields with the same environment variable (a bug)',
  CONFIG_TABLE_MARKERS: 'a README lacks the config-table markers the generated table goes between',
  CONFIG_TEMPLATE_INVALID: 'a device template is invalid or unreadable',
} as const;

declare module './errors.js' {
  interface ErrorCodes extends CodesOf<typeof SHARED_ERRORS> {}
}
