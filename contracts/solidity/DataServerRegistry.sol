// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title DataServerRegistry
/// @notice The DSO's data servers (issue 13 §4): systems that send IEC 61968-9 MeterReadings to the
///         BAL on behalf of PoDs (a DSO Data Server, a head-end). Each server has a string id (its MQTT
///         account and topic level), the key that signs its messages, with the full key history so a
///         message stays verifiable after a rotation, and the PoDs it may speak for, each with its own
///         history. Only DSO accounts write; the admin grants and revokes the DSO role.
/// @dev A contract of its own, next to PodRegistry rather than inside it: PodRegistry's storage and
///      ABI are deployed and used by every package, and a data server is not a PoD's device.
///      Times are ms since the epoch (`block.timestamp * 1000`), periods [fromMs, toMs) with toMs 0 =
///      open, exactly as PodRegistry.deviceAt: `keyAt(id, t)` is the key of the period containing t,
///      `maySpeakFor(id, pod, t)` whether a PoD grant period contains t.
contract DataServerRegistry is AccessControl {
    bytes32 public constant DSO_ROLE = keccak256("DSO_ROLE");

    /// @notice One key period of a server, or one grant period of a PoD (key unused then).
    struct Period {
        address key;
        uint64 validFromMs;
        uint64 validToMs;
    }

    /// @dev keccak256(bytes(serverId)) => key periods, oldest first (never overlapping).
    mapping(bytes32 => Period[]) private _keys;
    /// @dev keccak256(bytes(serverId)) => keccak256(bytes(pod)) => grant periods, oldest first.
    mapping(bytes32 => mapping(bytes32 => Period[])) private _grants;
    uint256 private _serverCount;

    error NotDso(address account);
    error ZeroAddress();
    /// @notice The id is not 1..64 characters of [A-Za-z0-9._-].
    error InvalidServerId(string serverId);
    error ServerAlreadyRegistered(string serverId, address key);
    /// @notice The server has no open key period (never registered, or revoked).
    error ServerNotRegistered(string serverId);
    error SameKey(string serverId, address key);
    error InvalidPod(string pod);
    error PodAlreadyAllowed(string serverId, string pod);
    error PodNotAllowed(string serverId, string pod);

    event DataServerRegistered(string serverId, address key, uint64 atMs);
    event DataServerRotated(string serverId, address oldKey, address newKey, uint64 atMs);
    event DataServerRevoked(string serverId, address key, uint64 atMs);
    /// @notice The server may speak for `pods` from `atMs`.
    event DataServerPodsAllowed(string serverId, string[] pods, uint64 atMs);
    /// @notice The server may no longer speak for `pods` from `atMs`.
    event DataServerPodsRemoved(string serverId, string[] pods, uint64 atMs);

    modifier onlyDso() {
        if (!hasRole(DSO_ROLE, msg.sender)) revert NotDso(msg.sender);
        _;
    }

    constructor(address admin) {
        if (admin == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    // ---------------------------------------------------------------- writes (DSO)

    /// @notice Register `serverId` with signing key `key` from now (again after a revoke: a new period).
    function register(string calldata serverId, address key) external onlyDso {
        if (key == address(0)) revert ZeroAddress();
        if (!isValidServerId(serverId)) revert InvalidServerId(serverId);
        Period[] storage h = _keys[keccak256(bytes(serverId))];
        if (h.length == 0) ++_serverCount;
        else if (h[h.length - 1].validToMs == 0) revert ServerAlreadyRegistered(serverId, h[h.length - 1].key);
        uint64 nowMs = _nowMs();
        h.push(Period(key, nowMs, 0));
        emit DataServerRegistered(serverId, key, nowMs);
    }

    /// @notice Replace the server's key: the old one is valid before now, `newKey` from now.
    function rotate(string calldata serverId, address newKey) external onlyDso {
        if (newKey == address(0)) revert ZeroAddress();
        Period storage cur = _open(serverId);
        address oldKey = cur.key;
        if (oldKey == newKey) revert SameKey(serverId, newKey);
        uint64 nowMs = _nowMs();
        cur.validToMs = nowMs;
        _keys[keccak256(bytes(serverId))].push(Period(newKey, nowMs, 0));
        emit DataServerRotated(serverId, oldKey, newKey, nowMs);
    }

    /// @notice Close the server's key period now: messages timestamped at or after now have no valid key.
    function revoke(string calldata serverId) external onlyDso {
        Period storage cur = _open(serverId);
        uint64 nowMs = _nowMs();
        cur.validToMs = nowMs;
        emit DataServerRevoked(serverId, cur.key, nowMs);
    }

    /// @notice Let the (registered) server speak for `pods` from now; all or nothing.
    function allowPods(string calldata serverId, string[] calldata pods) external onlyDso {
        _open(serverId);
        bytes32 sk = keccak256(bytes(serverId));
        uint64 nowMs = _nowMs();
        for (uint256 i = 0; i < pods.length; ++i) {
            if (!_isValidPod(pods[i])) revert InvalidPod(pods[i]);
            Period[] storage g = _grants[sk][keccak256(bytes(pods[i]))];
            if (g.length > 0 && g[g.length - 1].validToMs == 0) revert PodAlreadyAllowed(serverId, pods[i]);
            g.push(Period(address(0), nowMs, 0));
        }
        emit DataServerPodsAllowed(serverId, pods, nowMs);
    }

    /// @notice End the server's grant for `pods` now; all or nothing.
    function removePods(string calldata serverId, string[] calldata pods) external onlyDso {
        bytes32 sk = keccak256(bytes(serverId));
        uint64 nowMs = _nowMs();
        for (uint256 i = 0; i < pods.length; ++i) {
            Period[] storage g = _grants[sk][keccak256(bytes(pods[i]))];
            if (g.length == 0 || g[g.length - 1].validToMs != 0) revert PodNotAllowed(serverId, pods[i]);
            g[g.length - 1].validToMs = nowMs;
        }
        emit DataServerPodsRemoved(serverId, pods, nowMs);
    }

    // ---------------------------------------------------------------- reads

    /// @notice The server's current key, or address(0) (never registered, or revoked).
    function keyOf(string calldata serverId) external view returns (address) {
        Period[] storage h = _keys[keccak256(bytes(serverId))];
        if (h.length == 0 || h[h.length - 1].validToMs != 0) return address(0);
        return h[h.length - 1].key;
    }

    /// @notice The key whose period contains `timestampMs`, or address(0).
    function keyAt(string calldata serverId, uint64 timestampMs) external view returns (address) {
        return _periodAt(_keys[keccak256(bytes(serverId))], timestampMs).key;
    }

    /// @notice True when a grant period of (`serverId`, `pod`) contains `timestampMs`.
    function maySpeakFor(string calldata serverId, string calldata pod, uint64 timestampMs) external view returns (bool) {
        Period storage p = _periodAt(_grants[keccak256(bytes(serverId))][keccak256(bytes(pod))], timestampMs);
        return p.validFromMs != 0;
    }

    /// @notice Every key period of the server, oldest first.
    function historyOf(string calldata serverId) external view returns (Period[] memory) {
        return _keys[keccak256(bytes(serverId))];
    }

    function serverCount() external view returns (uint256) {
        return _serverCount;
    }

    function isDso(address account) external view returns (bool) {
        return hasRole(DSO_ROLE, account);
    }

    /// @notice True if `serverId` is 1..64 characters of [A-Za-z0-9._-] (an MQTT topic level and username).
    function isValidServerId(string calldata serverId) public pure returns (bool) {
        bytes calldata b = bytes(serverId);
        if (b.length == 0 || b.length > 64) return false;
        for (uint256 i = 0; i < b.length; ++i) {
            bytes1 c = b[i];
            bool ok = (c >= "0" && c <= "9") || (c >= "A" && c <= "Z") || (c >= "a" && c <= "z") || c == "." || c == "_" || c == "-";
            if (!ok) return false;
        }
        return true;
    }

    // ---------------------------------------------------------------- internals

    Period private _none;

    /// @dev The newest period starting at or before t, if it contains t; else an all-zero period.
    function _periodAt(Period[] storage h, uint64 t) private view returns (Period storage) {
        for (uint256 i = h.length; i > 0; --i) {
            Period storage p = h[i - 1];
            if (p.validFromMs <= t) return (p.validToMs == 0 || t < p.validToMs) ? p : _none;
        }
        return _none;
    }

    function _open(string calldata serverId) private view returns (Period storage) {
        Period[] storage h = _keys[keccak256(bytes(serverId))];
        if (h.length == 0 || h[h.length - 1].validToMs != 0) revert ServerNotRegistered(serverId);
        return h[h.length - 1];
    }

    /// @dev Same rule as PodRegistry.isValidPod: IT + 3 digits + E + 8 digits + optional [A-Z0-9].
    function _isValidPod(string calldata pod) private pure returns (bool) {
        bytes calldata b = bytes(pod);
        if (b.length != 14 && b.length != 15) return false;
        if (b[0] != "I" || b[1] != "T" || b[5] != "E") return false;
        for (uint256 i = 2; i < 14; ++i) {
            if (i == 5) continue;
            if (b[i] < "0" || b[i] > "9") return false;
        }
        if (b.length == 15) {
            bytes1 c = b[14];
            if (!((c >= "0" && c <= "9") || (c >= "A" && c <= "Z"))) return false;
        }
        return true;
    }

    function _nowMs() private view returns (uint64) {
        return uint64(block.timestamp * 1000);
    }
}
