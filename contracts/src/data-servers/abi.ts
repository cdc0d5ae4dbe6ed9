/**
 * The DataServerRegistry ABI in human-readable form (the one copy the TypeScript clients use;
 * test/data-server-registry.test.ts fails when it drifts from the compiled artifact).
 */
import { ACCESS_CONTROL_ABI } from '../access-control-abi.js';

export const DATA_SERVER_REGISTRY_ABI = [
  'constructor(address admin)',
  // Writes (DSO_ROLE)
  'function register(string serverId, address key)',
  'function rotate(string serverId, address newKey)',
  'function revoke(string serverId)',
  'function allowPods(string serverId, string[] pods)',
  'function removePods(string serverId, string[] pods)',
  // Views
  'function keyOf(string serverId) view returns (address)',
  'function keyAt(string serverId, uint64 timestampMs) view returns (address)',
  'function maySpeakFor(string serverId, string pod, uint64 timestampMs) view returns (bool)',
  'function historyOf(string serverId) view returns (tuple(address key, uint64 validFromMs, uint64 validToMs)[])',
  'function serverCount() view returns (uint256)',
  'function isDso(address account) view returns (bool)',
  'function isValidServerId(string serverId) pure returns (bool)',
  'function DSO_ROLE() view returns (bytes32)',
  // Errors
  'error NotDso(address account)',
  'error ZeroAddress()',
  'error InvalidServerId(string serverId)',
  'error ServerAlreadyRegistered(string serverId, address key)',
  'error ServerNotRegistered(string serverId)',
  'error SameKey(string serverId, address key)',
  'error InvalidPod(string pod)',
  'error PodAlreadyAllowed(string serverId, string pod)',
  'error PodNotAllowed(string serverId, string pod)',
  // Events
  'event DataServerRegistered(string serverId, address key, uint64 atMs)',
  'event DataServerRotated(string serverId, address oldKey, address newKey, uint64 atMs)',
  'event DataServerRevoked(string serverId, address key, uint64 atMs)',
  'event DataServerPodsAllowed(string serverId, string[] pods, uint64 atMs)',
  'event DataServerPodsRemoved(string serverId, string[] pods, uint64 atMs)',
  ...ACCESS_CONTROL_ABI,
] as const;
