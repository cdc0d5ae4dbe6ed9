/**
 * DataServerRegistry events as plain data: what the BAL's data-server mirror
 * (cloud/src/registry/data-servers.ts) folds. Pure types; ./client.ts decodes logs into them.
 */
import type { Hex } from '@lightnode/shared/hex';

/** The DataServerRegistry events the readers follow. */
export const DATA_SERVER_EVENT_NAMES = ['DataServerRegistered', 'DataServerRotated', 'DataServerRevoked', 'DataServerPodsAllowed', 'DataServerPodsRemoved'] as const;

/** A decoded data-server event: keys lower-case, chain times in ms since the epoch. */
export type DataServerEvent =
  | { kind: 'registered'; serverId: string; key: Hex; atMs: number }
  | { kind: 'rotated'; serverId: string; oldKey: Hex; newKey: Hex; atMs: number }
  | { kind: 'revoked'; serverId: string; key: Hex; atMs: number }
  | { kind: 'podsAllowed'; serverId: string; pods: string[]; atMs: number }
  | { kind: 'podsRemoved'; serverId: string; pods: string[]; atMs: number };

/** A decoded event with its place in the chain. */
export type DataServerLog = DataServerEvent & { blockNumber: number; logIndex: number };

/** Data-server ids: an MQTT topic level and broker username (the contract's `isValidServerId`). */
export const SERVER_ID_RE = /^[A-Za-z0-9._-]{1,64}$/;
