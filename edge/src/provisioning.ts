/**
 * Public entry `@lightnode/edge/provisioning`: what a fleet tool needs to give a device its
 * identity — the device key and its encrypted keystore file (the format the agent reads).
 */
export { DeviceKey } from './identity/device-key.js';
export { encryptKeystore, decryptKeystore, writeKeystoreFile, readKeystoreFile, type KeystoreV3, type ScryptParams } from './identity/keystore.js';
