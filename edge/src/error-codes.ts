/**
 * Error codes of the edge agent (`EDGE_`), each with its one-line meaning. Merged into
 * `ErrorCode` of @lightnode/shared/errors, so a misspelt code fails the typecheck;
 * shared/test/error-catalogue.test.ts checks that every code used in edge/src is listed here.
 */
import type { CodesOf } from '@lightnode/shared/errors';

export const EDGE_ERRORS = {
  EDGE_BACKOFF_INVALID: 'reconnect backoff built with delays that are not 0 < min <= max ms',
  EDGE_CHAIN2_CONNECTION: 'Chain 2 gateway unreachable or closed (reconnects with backoff)',
  EDGE_CHAIN2_FRAME_INVALID: 'Chain 2 message dropped; details.reason is the shared parser code',
  EDGE_CHAIN2_FRAME_TOO_LARGE: 'Chain 2 WebSocket message or serial line over the size limit',
  EDGE_EMS_EXCEPTION: 'the EMS refused a command (Modbus exception or HTTP error status)',
  EDGE_EMS_IO: 'writing to or reading from the EMS failed',
  EDGE_EMS_READBACK_INVALID: 'the EMS read-back is not a valid value',
  EDGE_EMS_READBACK_MISMATCH: 'the EMS read-back differs from the setpoint written',
  EDGE_EMS_TIMEOUT: 'the EMS did not answer in time',
  EDGE_EMS_UNREACHABLE: 'the EMS cannot be reached',
  EDGE_INTERNAL: 'unexpected failure in the CLI (not a coded error)',
  EDGE_KEYSTORE_EXISTS: 'a keystore exists already where a new one would be written',
  EDGE_KEYSTORE_INVALID: 'the keystore file is malformed',
  EDGE_KEYSTORE_MISSING: 'no keystore at the configured path',
  EDGE_KEYSTORE_PASSWORD: 'keystore password missing or wrong',
  EDGE_KEYSTORE_PERMISSIONS: 'keystore file readable by others than its owner',
  EDGE_KEY_INVALID: 'not a valid secp256k1 private or public key',
  EDGE_MODBUS_BACKOFF: 'device skipped while backing off after failures (details.retryAtMs)',
  EDGE_MODBUS_BLOCK_SPLIT: 'device refused a coalesced read; the block was split',
  EDGE_MODBUS_CONNECTION: 'cannot open the port, TCP connect refused, or link lost',
  EDGE_MODBUS_CRC: 'CRC error in an RTU answer',
  EDGE_MODBUS_EXCEPTION: 'Modbus exception answer (details.exceptionCode)',
  EDGE_MODBUS_FRAME: 'malformed or short Modbus answer',
  EDGE_MODBUS_PLAN_INVALID: 'a read plan was asked to split a block it does not hold (a bug)',
  EDGE_MODBUS_TIMEOUT: 'no Modbus answer within timeoutMs',
  EDGE_MQTT_CONNECT: 'the MQTT broker refused or dropped the connection',
  EDGE_MQTT_ERROR: 'an MQTT client error without a reason code',
  EDGE_MQTT_NOT_CONNECTED: 'an MQTT operation that needs a live session was called while disconnected',
  EDGE_PMU_CONNECTION: 'PMU link unreachable, closed or timed out (reconnects with backoff)',
  EDGE_PMU_FRAME_DUPLICATE: 'PMU data frame whose time was read already; dropped so no reading is doubled',
  EDGE_PMU_FRAME_INVALID: 'PMU frame refused; details.reason is the shared C37.118 codec code',
  EDGE_PMU_STALLED: 'PMU sent no frame within stallTimeoutMs; the link is reopened',
  EDGE_PMU_TIME_JUMP: 'PMU frame time off the DATA_RATE grid (time jump or lost frames); the reading is still made',
  EDGE_POD_MISMATCH: "a Chain 2 CF20 reports a PoD other than the node's",
  EDGE_POLL_OVERLAP: 'poll() called while the previous poll of that meter still runs',
  EDGE_RPC_DECODE: 'a JSON-RPC answer cannot be decoded',
  EDGE_RPC_ERROR: 'a JSON-RPC call failed',
  EDGE_RPC_UNAVAILABLE: 'no JSON-RPC endpoint answers',
  EDGE_SETPOINT_EXPIRED: 'setpoint validUntil is in the past',
  EDGE_SETPOINT_MALFORMED: 'setpoint command too large, not JSON, or fails validation',
  EDGE_SETPOINT_POD_MISMATCH: "setpoint for another PoD than this node's",
  EDGE_SETPOINT_REPLAY: 'setpoint id seen before',
  EDGE_SETPOINT_SIGNATURE_INVALID: 'setpoint signature does not recover',
  EDGE_SETPOINT_SIGNERS_UNKNOWN: 'no setpoint signer list known (chain or cache): fail closed',
  EDGE_SETPOINT_SIGNER_UNKNOWN: 'setpoint signer not in PodRegistry.setpointSigners()',
  EDGE_SOURCE_ERROR: 'a meter source failed without a coded error',
  EDGE_SPOOL_OPEN: 'the spool database cannot be opened or fails its integrity check',
  EDGE_SPOOL_READONLY: 'the CLI opened the spool read-only and cannot sign',
  EDGE_SPOOL_WRITE: 'a reading could not be written to the spool',
  EDGE_SUNSPEC_CHAIN_INVALID: 'SunSpec model chain malformed',
  EDGE_SUNSPEC_DEVICE_BUSY: 'SunSpec discovery: the device kept answering busy (Modbus exception 5/6) after the retries; discovery runs again next poll',
  EDGE_SUNSPEC_DEVICE_FAILURE: 'SunSpec discovery: the device kept answering server device failure (Modbus exception 4) after the retries',
  EDGE_SUNSPEC_MODEL_MISSING: 'SunSpec model 203/213 not in the chain',
  EDGE_SUNSPEC_NOT_FOUND: 'no SunSpec "SunS" marker at the base addresses (each answered "illegal address/function/value" or other registers)',
  EDGE_SUNSPEC_RETRY: 'event: a SunSpec discovery read answered busy or device failure and is retried after a backoff',
  EDGE_VALUE_INVALID: 'meter value NaN/Inf, out of range, or a bad scale factor (point dropped)',
} as const;

declare module '@lightnode/shared/errors' {
  interface ErrorCodes extends CodesOf<typeof EDGE_ERRORS> {}
}
