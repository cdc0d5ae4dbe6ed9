// DELIBERATE INDEPENDENT COPY (issue 18): the receipt verifier keeps its own ABI fragments, EIP-712
// types and receipt shape instead of importing contracts/ or @lightnode/shared, so an auditor can
// check a receipt without trusting our shared code. Do not deduplicate; see scripts/README.md.
/**
 * The few contract fragments the receipt verifier reads, written out by hand from
 * docs/interfaces.md so a third party needs neither our artifacts nor our build: only
 * ethers and a JSON-RPC endpoint.
 */
export const podRegistryAbi = [
  'function deviceAt(string pod, uint64 timestampMs) view returns (address)',
] as const;

export const dataServerRegistryAbi = [
  'function keyAt(string serverId, uint64 timestampMs) view returns (address)',
  'function maySpeakFor(string serverId, string pod, uint64 timestampMs) view returns (bool)',
] as const;

export const readingAnchorAbi = [
  'function anchorCount() view returns (uint256)',
  'function verifyInclusion(uint256 index, bytes32 leaf, bytes32[] proof) view returns (bool)',
  'function podRegistry() view returns (address)',
  'function getAnchor(uint256 index) view returns (tuple(bytes32 root, uint32 leafCount, uint64 fromMs, uint64 toMs, bytes32 prevHash, bytes32 anchorHash, uint64 blockNumber))',
  'function verifyReading(tuple(string pod, string meter, uint64 seq, uint64 timestamp, string source, tuple(string quantity, int64 value, int8 scale, string unit)[] values) r, bytes signature, uint256 index, bytes32[] proof) view returns (bool ok, uint8 reason)',
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

/** EIP-712 type a data server signs its message with (same domain); payloadHash = keccak256(payload). */
export const cimMessageTypes = { CimMessage: [{ name: 'serverId', type: 'string' }, { name: 'payloadHash', type: 'bytes32' }] };

/** seq of a data server's reading = message time (ms) × this + index in the message. */
export const CIM_SEQ_FACTOR = 2048;

export const DOMAIN_NAME = 'LightNode';
export const DOMAIN_VERSION = '1';

/** Reason codes of ReadingAnchor.verifyReading (contracts/README.md). */
export const VERIFY_READING_REASONS = ['Ok', 'SignatureInvalid', 'SignatureMalleable', 'NoDeviceAtTime', 'SignerNotDevice', 'AnchorUnknown', 'NotIncluded'] as const;
