/**
 * Public entry `@lightnode/cloud/operator`: what operators' tools (fleet, demo) need to set up
 * the BAL's surroundings — broker accounts and the files of an external Mosquitto, and secrets
 * for API clients. Only these names: the broker and API internals stay private to the BAL.
 */
export type { BrokerAccount } from './broker/credentials.js';
export { hashPassword, verifyPassword } from './broker/password-hash.js';
export { writeMosquittoConfig, type MosquittoConfigFiles, type MosquittoConfigOptions } from './broker/mosquitto-config.js';
export { newSecret, secretHash } from './api/auth.js';
