/**
 * PodRegistry fragments the fleet CLI calls, from docs/interfaces.md, plus the custom errors
 * it maps to FLEET_ codes. Merged with the compiled artifact's ABI when that is available so
 * any further custom error decodes by name.
 */
export const podRegistryFragments = [
  'function register(string pod, address device)',
  'function registerBatch(string[] pods, address[] devices)',
  'function rotate(string pod, address newDevice)',
  'function revoke(string pod)',
  'function deviceOf(string pod) view returns (address)',
  'function deviceAt(string pod, uint64 timestampMs) view returns (address)',
  'function isDso(address account) view returns (bool)',
  'function historyOf(string pod) view returns (tuple(address device, uint64 validFromMs, uint64 validToMs)[])',
  'event DeviceRegistered(string pod, address device, uint64 validFromMs)',
  'event DeviceRotated(string pod, address oldDevice, address newDevice, uint64 atMs)',
  'event DeviceRevoked(string pod, address device, uint64 atMs)',
  'error NotDso(address account)',
  'error PodAlreadyRegistered(string pod, address device)',
  'error PodNotRegistered(string pod)',
  'error ZeroAddress()',
  'error InvalidPod(string pod)',
  'error LengthMismatch(uint256 pods, uint256 devices)',
  'error SameDevice(string pod, address device)',
] as const;
