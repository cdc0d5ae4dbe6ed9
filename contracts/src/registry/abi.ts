/**
 * The PodRegistry ABI in human-readable form: the one copy the TypeScript clients use
 * (./client.ts builds its ethers Interface from it). Kept by hand so a client works without the
 * solc build (the artifacts are not committed); test/registry-abi.test.ts fails when it drifts
 * from the compiled artifact. Pure data: importing it loads no ABI library.
 *
 * The independent receipt verifier (scripts/src/verify/receipt-abi.ts) keeps its own copy of
 * the one fragment it reads, on purpose: a third party checks a receipt without trusting ours.
 */
import { ACCESS_CONTROL_ABI } from '../access-control-abi.js';
export const POD_REGISTRY_ABI = [
  'constructor(address admin)',
  // Writes (DSO_ROLE)
  'function register(string pod, address device)',
  'function registerBatch(string[] pods, address[] devices)',
  'function rotate(string pod, address newDevice)',
  'function revoke(string pod)',
  'function addSetpointSigner(address signer)',
  'function removeSetpointSigner(address signer)',
  // Views
  'function deviceOf(string pod) view returns (address)',
  'function deviceAt(string pod, uint64 timestampMs) view returns (address)',
  'function historyOf(string pod) view returns (tuple(address device, uint64 validFromMs, uint64 validToMs)[] out)',
  'function podCount() view returns (uint256)',
  'function isSetpointSigner(address signer) view returns (bool)',
  'function setpointSigners() view returns (address[])',
  'function isDso(address account) view returns (bool)',
  'function domainSeparator() view returns (bytes32)',
  'function isValidPod(string pod) pure returns (bool)',
  // Roles (OpenZeppelin AccessControl's functions, events and errors: ACCESS_CONTROL_ABI)
  'function DSO_ROLE() view returns (bytes32)',
  // Events
  'event DeviceRegistered(string pod, address device, uint64 validFromMs)',
  'event DeviceRotated(string pod, address oldDevice, address newDevice, uint64 atMs)',
  'event DeviceRevoked(string pod, address device, uint64 atMs)',
  'event SetpointSignerAdded(address signer)',
  'event SetpointSignerRemoved(address signer)',
  // Custom errors
  'error NotDso(address account)',
  'error PodAlreadyRegistered(string pod, address device)',
  'error PodNotRegistered(string pod)',
  'error ZeroAddress()',
  'error InvalidPod(string pod)',
  'error LengthMismatch(uint256 pods, uint256 devices)',
  'error SameDevice(string pod, address device)',
  'error SetpointSignerExists(address signer)',
  'error SetpointSignerUnknown(address signer)',
  ...ACCESS_CONTROL_ABI,
] as const;
