// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title ReadingTypes
/// @notice The signed-reading structs of the Light Node protocol and their EIP-712 hashing
///         (DESIGN §3). Must produce byte-for-byte the digests of the TypeScript module
///         lightnode/shared/eip712 and ethers' TypedDataEncoder; the contract tests check it on every committed vector.
/// @dev Type strings (EIP-712 `encodeType`, referenced struct types appended in name order):
///      Measurement(string quantity,int64 value,int8 scale,string unit)
///      Reading(string pod,string meter,uint64 seq,uint64 timestamp,string source,Measurement[] values)Measurement(...)
library ReadingTypes {
    /// @notice One measured quantity: `value` x 10^`scale` in `unit`. Integers only (no floats in signed data).
    struct Measurement {
        string quantity; // OBIS code, e.g. "1-0:1.8.0"
        int64 value;
        int8 scale;
        string unit; // "Wh", "W", "V", ...
    }

    /// @notice One snapshot of one meter at one instant, signed once by the PoD's Light Node.
    struct Reading {
        string pod; // PoD code, e.g. "IT001E12345678"
        string meter; // meter id local to the Light Node
        uint64 seq; // per-device counter, strictly increasing
        uint64 timestamp; // measurement time, ms since the Unix epoch (UTC)
        string source; // "modbus" | "chain2" | "ems" | "activation:<setpointId>"
        Measurement[] values;
    }

    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 internal constant MEASUREMENT_TYPEHASH =
        keccak256("Measurement(string quantity,int64 value,int8 scale,string unit)");
    bytes32 internal constant READING_TYPEHASH = keccak256(
        "Reading(string pod,string meter,uint64 seq,uint64 timestamp,string source,Measurement[] values)"
        "Measurement(string quantity,int64 value,int8 scale,string unit)"
    );
    bytes32 internal constant NAME_HASH = keccak256("LightNode");
    bytes32 internal constant VERSION_HASH = keccak256("1");

    /// @notice EIP-712 domain separator of the protocol: name "LightNode", version "1",
    ///         the current chain id, and the PodRegistry as verifyingContract.
    function domainSeparator(address podRegistry) internal view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, block.chainid, podRegistry));
    }

    /// @notice EIP-712 hashStruct(Measurement).
    function hashMeasurement(Measurement calldata m) internal pure returns (bytes32) {
        // int64 / int8 are sign-extended to 32 bytes by abi.encode, as EIP-712 requires.
        return keccak256(
            abi.encode(MEASUREMENT_TYPEHASH, keccak256(bytes(m.quantity)), m.value, m.scale, keccak256(bytes(m.unit)))
        );
    }

    /// @notice EIP-712 hashStruct(Reading); an array is encoded as keccak256 of its members' hashStructs concatenated.
    function hashReading(Reading calldata r) internal pure returns (bytes32) {
        uint256 n = r.values.length;
        bytes32[] memory hashes = new bytes32[](n);
        for (uint256 i = 0; i < n; ++i) {
            hashes[i] = hashMeasurement(r.values[i]);
        }
        return keccak256(
            abi.encode(
                READING_TYPEHASH,
                keccak256(bytes(r.pod)),
                keccak256(bytes(r.meter)),
                r.seq,
                r.timestamp,
                keccak256(bytes(r.source)),
                keccak256(abi.encodePacked(hashes))
            )
        );
    }

    /// @notice The digest a Light Node signs: keccak256("\x19\x01" || domainSeparator || hashStruct(reading)).
    function digest(bytes32 domainSep, Reading calldata r) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(hex"1901", domainSep, hashReading(r)));
    }
}
