// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {ReadingTypes} from "./ReadingTypes.sol";

interface IPodRegistry {
    function deviceAt(string calldata pod, uint64 timestampMs) external view returns (address);
}

/// @title ReadingAnchor
/// @notice Merkle roots of the readings the BAL stored, one per window, chained by hash so a missing or
///         altered window is detectable (DESIGN §6). Anyone can check a reading against an anchor with
///         the view functions, trusting nothing but the chain.
/// @dev Leaves are the readings' EIP-712 digests used as-is; proofs are OpenZeppelin sorted-pair proofs
///      (SimpleMerkleTree of the npm package openzeppelin/merkle-tree, and lightnode/shared/merkle).
///      anchorHash(i) = keccak256(abi.encode(prevHash, root, leafCount, fromMs, toMs)) with
///      prevHash = anchorHash(i-1), and bytes32(0) for the first anchor.
contract ReadingAnchor is AccessControl {
    /// @notice Role of the Blockchain Access Layer accounts that may anchor.
    bytes32 public constant BAL_ROLE = keccak256("BAL_ROLE");

    struct Anchor {
        bytes32 root;
        uint32 leafCount;
        uint64 fromMs; // earliest reading timestamp in the window, ms since epoch
        uint64 toMs; // latest reading timestamp in the window, ms since epoch
        bytes32 prevHash; // anchorHash of the previous anchor (0 for the first)
        bytes32 anchorHash; // keccak256(abi.encode(prevHash, root, leafCount, fromMs, toMs))
        uint64 blockNumber; // block that recorded this anchor
    }

    /// @notice Result codes of `verifyReading` (returned as uint8).
    /// Ok                 0  the reading is authentic, signed by the PoD's device at its time, and anchored
    /// SignatureInvalid   1  not 65 bytes, v not 27/28, or no signer recoverable
    /// SignatureMalleable 2  s in the upper half of the curve order (only low-s signatures are accepted)
    /// NoDeviceAtTime     3  the PoD had no device at the reading's timestamp (unknown, not yet registered, revoked)
    /// SignerNotDevice    4  the signer is not the device the registry binds to the PoD at that time
    /// AnchorUnknown      5  no anchor at `index`
    /// NotIncluded        6  the proof does not lead from the reading's digest to the anchor's root
    enum VerifyResult {
        Ok,
        SignatureInvalid,
        SignatureMalleable,
        NoDeviceAtTime,
        SignerNotDevice,
        AnchorUnknown,
        NotIncluded
    }

    /// @notice The PodRegistry consulted for signers; also the EIP-712 verifyingContract.
    address public immutable podRegistry;

    /// @dev Storage form of Anchor in three slots (root, anchorHash, the rest packed); prevHash is the
    ///      previous entry's anchorHash and is not stored again.
    struct Stored {
        bytes32 root;
        bytes32 anchorHash;
        uint32 leafCount;
        uint64 fromMs;
        uint64 toMs;
        uint64 blockNumber;
    }

    Stored[] private _anchors;

    /// @notice The caller does not hold BAL_ROLE.
    error NotBal(address account);
    error ZeroAddress();
    /// @notice leafCount is 0 or the root is zero.
    error EmptyAnchor();
    /// @notice fromMs > toMs.
    error InvalidWindow(uint64 fromMs, uint64 toMs);
    /// @notice `getAnchor` index out of range.
    error AnchorNotFound(uint256 index);
    /// @notice `anchorNext` was built on another chain head (a stale or concurrent anchorer): the
    ///         chain now holds `count` anchors ending in `lastHash`.
    error ChainHeadMoved(uint256 count, bytes32 lastHash);

    event Anchored(
        uint256 indexed index,
        bytes32 root,
        uint32 leafCount,
        uint64 fromMs,
        uint64 toMs,
        bytes32 prevHash,
        bytes32 anchorHash
    );

    /// @param registry The PodRegistry.
    /// @param admin Account holding DEFAULT_ADMIN_ROLE (grants BAL_ROLE).
    constructor(address registry, address admin) {
        if (registry == address(0) || admin == address(0)) revert ZeroAddress();
        podRegistry = registry;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @notice Record the Merkle root of one window of stored readings. Returns the anchor's index.
    function anchor(bytes32 root, uint32 leafCount, uint64 fromMs, uint64 toMs) external returns (uint256 index) {
        return _anchor(root, leafCount, fromMs, toMs);
    }

    /// @notice `anchor`, only on top of the chain head the caller saw: reverts `ChainHeadMoved` unless
    ///         the new anchor gets index `expectedIndex` and chains onto `expectedPrevHash`. A stale
    ///         anchoring leader's transaction (built before another leader anchored) therefore fails,
    ///         so no window is anchored twice (cloud/README "Roles and the anchor lease").
    function anchorNext(uint256 expectedIndex, bytes32 expectedPrevHash, bytes32 root, uint32 leafCount, uint64 fromMs, uint64 toMs)
        external
        returns (uint256 index)
    {
        uint256 n = _anchors.length;
        bytes32 last = n == 0 ? bytes32(0) : _anchors[n - 1].anchorHash;
        if (n != expectedIndex || last != expectedPrevHash) revert ChainHeadMoved(n, last);
        return _anchor(root, leafCount, fromMs, toMs);
    }

    function _anchor(bytes32 root, uint32 leafCount, uint64 fromMs, uint64 toMs) private returns (uint256 index) {
        if (!hasRole(BAL_ROLE, msg.sender)) revert NotBal(msg.sender);
        if (leafCount == 0 || root == bytes32(0)) revert EmptyAnchor();
        if (fromMs > toMs) revert InvalidWindow(fromMs, toMs);
        index = _anchors.length;
        bytes32 prevHash = index == 0 ? bytes32(0) : _anchors[index - 1].anchorHash;
        bytes32 h = keccak256(abi.encode(prevHash, root, leafCount, fromMs, toMs));
        _anchors.push(Stored(root, h, leafCount, fromMs, toMs, uint64(block.number)));
        emit Anchored(index, root, leafCount, fromMs, toMs, prevHash, h);
    }

    function anchorCount() external view returns (uint256) {
        return _anchors.length;
    }

    function getAnchor(uint256 index) external view returns (Anchor memory) {
        if (index >= _anchors.length) revert AnchorNotFound(index);
        Stored storage a = _anchors[index];
        bytes32 prevHash = index == 0 ? bytes32(0) : _anchors[index - 1].anchorHash;
        return Anchor(a.root, a.leafCount, a.fromMs, a.toMs, prevHash, a.anchorHash, a.blockNumber);
    }

    /// @notice anchorHash of the newest anchor (bytes32(0) if none): the next anchor's prevHash.
    function lastAnchorHash() external view returns (bytes32) {
        uint256 n = _anchors.length;
        return n == 0 ? bytes32(0) : _anchors[n - 1].anchorHash;
    }

    function isBal(address account) external view returns (bool) {
        return hasRole(BAL_ROLE, account);
    }

    /// @notice True if `proof` leads from `leaf` to the root of anchor `index` (false if there is no such anchor).
    function verifyInclusion(uint256 index, bytes32 leaf, bytes32[] calldata proof) public view returns (bool) {
        if (index >= _anchors.length) return false;
        return MerkleProof.verifyCalldata(proof, _anchors[index].root, leaf);
    }

    /// @notice EIP-712 domain separator (verifyingContract = the PodRegistry, not this contract).
    function domainSeparator() public view returns (bytes32) {
        return ReadingTypes.domainSeparator(podRegistry);
    }

    /// @notice The EIP-712 digest of a reading, computed in Solidity; equals `readingDigest` of
    ///         the TypeScript module lightnode/shared/eip712 for the same domain.
    function readingDigest(ReadingTypes.Reading calldata r) public view returns (bytes32) {
        return ReadingTypes.digest(domainSeparator(), r);
    }

    /// @notice EIP-712 hashStruct(reading), independent of the domain (for cross-checks against other domains).
    function readingStructHash(ReadingTypes.Reading calldata r) external pure returns (bytes32) {
        return ReadingTypes.hashReading(r);
    }

    /// @notice The address that signed `r` (EIP-712 digest in this domain), or address(0) with the reason
    ///         (SignatureInvalid, SignatureMalleable) when the signature is not a valid low-s 65-byte signature.
    function recoverReadingSigner(ReadingTypes.Reading calldata r, bytes calldata signature)
        public
        view
        returns (address signer, uint8 reason)
    {
        return _recover(readingDigest(r), signature);
    }

    /// @notice Verify a reading end to end: digest from the struct, low-s signature, the registry's device
    ///         for the PoD at the reading's timestamp, inclusion in anchor `index`.
    /// @return ok True only if every check passes.
    /// @return reason A `VerifyResult` code (0 when ok).
    function verifyReading(
        ReadingTypes.Reading calldata r,
        bytes calldata signature,
        uint256 index,
        bytes32[] calldata proof
    ) external view returns (bool ok, uint8 reason) {
        bytes32 d = readingDigest(r);
        (address signer, uint8 sigReason) = _recover(d, signature);
        if (signer == address(0)) return (false, sigReason);
        address device = IPodRegistry(podRegistry).deviceAt(r.pod, r.timestamp);
        if (device == address(0)) return (false, uint8(VerifyResult.NoDeviceAtTime));
        if (device != signer) return (false, uint8(VerifyResult.SignerNotDevice));
        if (index >= _anchors.length) return (false, uint8(VerifyResult.AnchorUnknown));
        if (!MerkleProof.verifyCalldata(proof, _anchors[index].root, d)) {
            return (false, uint8(VerifyResult.NotIncluded));
        }
        return (true, uint8(VerifyResult.Ok));
    }

    function _recover(bytes32 d, bytes calldata signature) private pure returns (address, uint8) {
        // OpenZeppelin ECDSA: rejects length != 65 and s > n/2; ecrecover yields 0 for v not in {27, 28},
        // r or s zero or out of range, or r not an x-coordinate on the curve.
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(d, signature);
        if (err == ECDSA.RecoverError.NoError) return (signer, uint8(VerifyResult.Ok));
        if (err == ECDSA.RecoverError.InvalidSignatureS) return (address(0), uint8(VerifyResult.SignatureMalleable));
        return (address(0), uint8(VerifyResult.SignatureInvalid));
    }
}
