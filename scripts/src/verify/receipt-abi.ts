/**
 * The few contract fragments the receipt verifier reads, written out by hand from
 * docs/interfaces.md so a third party needs neither our artifacts nor our build: only
 * ethers and a JSON-RPC endpoint.
 */
export const podRegistryAbi = [
  'function deviceAt(string pod, uint64 timestampMs) view returns (address)',
] as const;

export const readingAnchorAbi = [
  'function anchorCount() view returns (uint256)',
  'function getAnchor(uint256 index) view returns (tuple(bytes32 root, uint32 leafCount, uint64 fromMs, uint64 toMs, bytes32 prevHash, bytes32 anchorHash, uint64 blockNumber))',
  'event Anchored(uint256 indexed index, bytes32 root, uint32 leafCount, uint64 fromMs, uint64 toMs, bytes32 prevHash, bytes32 anchorHash)',
] as const;

/** EIP-712 types of a reading (DESIGN §3); the domain's verifyingContract is the PodRegistry. */
export const readingTypes = {
  Reading: [
    { name: 'pod', type: 'string' },
    { name: 'meter', type: 'string' },
    { name: 'seq', type: 'uint64' },
    { name: 'timestamp', type: 'uint64' },
    { name: 'source', type: 'string' },
    { name: 'values', type: 'Measurement[]' },
  ],
  Measurement: [
    { name: 'quantity', type: 'string' },
    { name: 'value', type: 'int64' },
    { name: 'scale', type: 'int8' },
    { name: 'unit', type: 'string' },
  ],
};

export const DOMAIN_NAME = 'LightNode';
export const DOMAIN_VERSION = '1';
