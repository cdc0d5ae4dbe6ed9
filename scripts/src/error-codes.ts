/**
 * Error codes of the operator tools (`FLEET_` fleet CLI, `DEMO_` demo, `VERIFY_` receipt
 * verifier), each with its one-line meaning. Merged into `ErrorCode` of
 * @lightnode/shared/errors, so a misspelt code fails the typecheck. The receipt verifier prints
 * its `VERIFY_` codes without importing this (it must run without our shared code).
 */
import type { CodesOf } from '@lightnode/shared/errors';

export const SCRIPTS_ERRORS = {
  FLEET_ADDRESS_INVALID: 'malformed or zero device address',
  FLEET_AGENT_BUILD_FAILED: 'the agent bundle could not be built',
  FLEET_BAL_UNREACHABLE: 'the BAL REST API does not answer (or refuses the key)',
  FLEET_BUNDLE_INVALID: 'a bundle is malformed, changed, or for another PoD',
  FLEET_CHAIN_UNREACHABLE: 'the RPC endpoint does not answer',
  FLEET_CSV_INVALID: 'the PoD CSV has bad lines or cannot be read',
  FLEET_DEPLOYMENT_INVALID: 'the deployment file is unreadable or for another chain',
  FLEET_IMAGE_ARCH_MISMATCH: 'a native module or the node binary is built for another CPU than the image',
  FLEET_IMAGE_NOT_RPI_OS: 'the input image is not a Raspberry Pi OS image (partitions, boot files, /etc/rpi-issue)',
  FLEET_IMAGE_PARTITION_FULL: 'a partition of the image has no room for the files to write',
  FLEET_IMAGE_RUNTIME_MISSING: 'no runtime packages (or no Node.js) built for the image\'s CPU were given',
  FLEET_IMAGE_TOOL_MISSING: 'sfdisk, mtools, debugfs or xz is not installed',
  FLEET_IMAGE_WRITE_FAILED: 'writing a partition, or reading it back, failed',
  FLEET_KEYSTORE_INVALID: 'the DSO keystore cannot be read or decrypted',
  FLEET_KEYSTORE_PASSWORD_MISSING: 'a bundle carries an encrypted device key but no password for it',
  FLEET_KEY_MISSING: 'no DSO key given',
  FLEET_NOT_DSO: 'the signing account lacks the DSO role',
  FLEET_POD_ALREADY_BOUND: 'the PoD is bound to another device',
  FLEET_POD_INVALID: 'malformed PoD code',
  FLEET_POD_NOT_REGISTERED: 'the PoD has no active device',
  FLEET_TX_FAILED: 'a registry transaction failed',
  FLEET_USAGE: 'bad command line',
  DEMO_BROKER_START_FAILED: 'the demo MQTT broker (Mosquitto) is missing or did not start',
  DEMO_DATA_ACCESS_FAILED: 'a data-sharing step of the demo (users, subscription, consumer subscribe) failed',
  DEMO_DATA_ACCESS_OFF: 'the demo BAL runs without data access',
  DEMO_FLEET_IMPORT_FAILED: 'the demo fleet import exited non-zero',
  DEMO_LAB_START_FAILED: 'the demo lab (pty links, EMS device) did not start',
  DEMO_TIMEOUT: 'a demo milestone was not reached in time',
  DEMO_USAGE: 'bad demo command line option',
  VERIFY_DEPLOYMENT_UNREADABLE: 'verify-receipt: the deployment file cannot be read',
  VERIFY_RECEIPT_UNREADABLE: 'verify-receipt: the receipt cannot be read or is not JSON',
  VERIFY_USAGE: 'verify-receipt: bad command line',
} as const;

declare module '@lightnode/shared/errors' {
  interface ErrorCodes extends CodesOf<typeof SCRIPTS_ERRORS> {}
}
