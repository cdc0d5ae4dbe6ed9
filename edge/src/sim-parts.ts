/**
 * The parts of a Light Node that a simulated fleet needs (cloud's multi-instance tests, issue 16):
 * the real uplink (MQTT session, 5 → 3.1.1 fallback, resend after an ack timeout), an in-memory
 * spool, a device key and the EIP-712 reading signer. Not for production agents (src/agent.ts).
 */
export { Uplink, type UplinkOptions } from './uplink/uplink.js';
export { MemorySpool } from './spool/memory-spool.js';
export { DeviceKey } from './identity/device-key.js';
export { readingSigner } from './identity/reading-signer.js';
export type { MqttConfig } from './config.js';
export type { SpoolDraft } from './spool/port.js';
