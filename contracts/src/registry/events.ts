/**
 * PodRegistry events as plain data (DESIGN §5), the shape every registry reader folds: the BAL's
 * mirror (cloud/src/registry/) and `fleet list` (scripts/src/fleet/list-pods.ts). Pure types;
 * ./client.ts decodes logs into them.
 */
import type { Hex } from '@lightnode/shared/hex';

/** The PodRegistry events the readers follow, in declaration order. */
export const REGISTRY_EVENT_NAMES = ['DeviceRegistered', 'DeviceRotated', 'DeviceRevoked', 'SetpointSignerAdded', 'SetpointSignerRemoved'] as const;

/** Name of a followed PodRegistry event. */
export type RegistryEventName = (typeof REGISTRY_EVENT_NAMES)[number];

/** A decoded registry event: addresses lower-case, chain times in ms since the epoch. */
export type RegistryEvent =
  | { kind: 'registered'; pod: string; device: Hex; atMs: number }
  | { kind: 'rotated'; pod: string; oldDevice: Hex; newDevice: Hex; atMs: number }
  | { kind: 'revoked'; pod: string; device: Hex; atMs: number }
  | { kind: 'setpointSignerAdded'; signer: Hex }
  | { kind: 'setpointSignerRemoved'; signer: Hex };

/** A decoded event with its place in the chain (for ordering and "last changed in block"). */
export type RegistryLog = RegistryEvent & { blockNumber: number; logIndex: number };
