// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReadingTypes} from "./ReadingTypes.sol";

/// @title PodRegistry
/// @notice Maps each Point of Delivery (PoD) to the address of its Light Node (the key that signs its
///         readings), with the full key history so a reading stays verifiable after a rotation
///         (DESIGN §5). Only DSO accounts write; the admin grants and revokes the DSO role.
///         The registry is also the EIP-712 `verifyingContract` of every Light Node signature.
/// @dev Times are milliseconds since the Unix epoch, taken as `block.timestamp * 1000`, so they compare
///      directly with a reading's `timestamp`. Chain time has one-second resolution: a change made in the
///      block at second S takes effect at S*1000 ms.
///
///      Validity semantics (the same for `deviceAt`, the BAL and the on-chain verifier):
///      - every binding is a period [validFromMs, validToMs); `validToMs == 0` means still open;
///      - `register` opens a period at the current time; it reverts with `PodAlreadyRegistered` while the
///        PoD has an open period. A revoked PoD can be registered again (a new period starts);
///      - `rotate` closes the current period and opens the new device's one at the same instant:
///        a reading at t < T belongs to the old device, at t >= T to the new one;
///      - `revoke` closes the current period and opens none. Readings whose timestamp is before the
///        revocation stay valid (they were signed while the device was bound); readings at or after
///        it have no valid device. Revocation does not rewrite history: if a key is known to be
///        compromised earlier, the DSO handles the readings in that interval off-chain.
contract PodRegistry is AccessControl {
    /// @notice Role of the Distribution System Operator accounts that may change bindings and setpoint signers.
    bytes32 public constant DSO_ROLE = keccak256("DSO_ROLE");

    /// @notice One binding of a device to a PoD. `validToMs == 0` while it is still open.
    struct KeyPeriod {
        address device;
        uint64 validFromMs;
        uint64 validToMs;
    }

    /// @dev Storage form of KeyPeriod packed in one slot (20 + 6 + 6 bytes). uint48 milliseconds last
    ///      until the year 8900.
    struct Period {
        address device;
        uint48 validFromMs;
        uint48 validToMs;
    }

    /// @dev keccak256(bytes(pod)) => the newest binding (open, or closed by a revoke); device 0 = never
    ///      registered. Kept apart from the older ones so a first registration writes one slot only.
    mapping(bytes32 => Period) private _current;
    /// @dev keccak256(bytes(pod)) => older, closed bindings in chronological order.
    mapping(bytes32 => Period[]) private _past;
    uint256 private _podCount;

    address[] private _setpointSigners;
    /// @dev signer => index in _setpointSigners + 1 (0 = not a signer).
    mapping(address => uint256) private _setpointSignerIndex;

    /// @notice The caller does not hold DSO_ROLE.
    error NotDso(address account);
    /// @notice The PoD already has an open binding (use `rotate`, or `revoke` first).
    error PodAlreadyRegistered(string pod, address device);
    /// @notice The PoD has no open binding (never registered, or revoked).
    error PodNotRegistered(string pod);
    /// @notice The zero address is not a device or a signer.
    error ZeroAddress();
    /// @notice The PoD code is not of the form IT + 3 digits + E + 8 digits + optional [A-Z0-9].
    error InvalidPod(string pod);
    /// @notice `registerBatch` got arrays of different lengths.
    error LengthMismatch(uint256 pods, uint256 devices);
    /// @notice `rotate` to the device that is already bound.
    error SameDevice(string pod, address device);
    /// @notice `addSetpointSigner` of an address that already is one.
    error SetpointSignerExists(address signer);
    /// @notice `removeSetpointSigner` of an address that is not one.
    error SetpointSignerUnknown(address signer);

    /// @notice A device was bound to a PoD that had no open binding.
    event DeviceRegistered(string pod, address device, uint64 validFromMs);
    /// @notice The PoD's device changed; `oldDevice` is valid before `atMs`, `newDevice` from `atMs`.
    event DeviceRotated(string pod, address oldDevice, address newDevice, uint64 atMs);
    /// @notice The PoD's binding was closed at `atMs`; readings at or after it have no valid device.
    event DeviceRevoked(string pod, address device, uint64 atMs);
    event SetpointSignerAdded(address signer);
    event SetpointSignerRemoved(address signer);

    modifier onlyDso() {
        if (!hasRole(DSO_ROLE, msg.sender)) revert NotDso(msg.sender);
        _;
    }

    /// @param admin Account holding DEFAULT_ADMIN_ROLE (grants/revokes DSO_ROLE). It is not a DSO by itself.
    constructor(address admin) {
        if (admin == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    // ---------------------------------------------------------------- writes (DSO)

    /// @notice Bind `device` to `pod` from now on. Reverts `PodAlreadyRegistered` if the PoD is bound.
    function register(string calldata pod, address device) external onlyDso {
        _register(pod, device, _nowMs());
    }

    /// @notice `register` for many PoDs in one transaction; all or nothing (the first failure reverts all,
    ///         with that PoD in the error). About 31k gas per new PoD: keep batches at or below ~500 PoDs
    ///         under a 30M block gas limit.
    function registerBatch(string[] calldata pods, address[] calldata devices) external onlyDso {
        if (pods.length != devices.length) revert LengthMismatch(pods.length, devices.length);
        uint48 nowMs = _nowMs();
        for (uint256 i = 0; i < pods.length; ++i) {
            _register(pods[i], devices[i], nowMs);
        }
    }

    /// @notice Replace the PoD's device: the old one is valid before now, `newDevice` from now.
    function rotate(string calldata pod, address newDevice) external onlyDso {
        if (newDevice == address(0)) revert ZeroAddress();
        bytes32 key = keccak256(bytes(pod));
        Period memory cur = _current[key];
        if (cur.device == address(0) || cur.validToMs != 0) revert PodNotRegistered(pod);
        address oldDevice = cur.device;
        if (oldDevice == newDevice) revert SameDevice(pod, newDevice);
        uint48 nowMs = _nowMs();
        _past[key].push(Period(oldDevice, cur.validFromMs, nowMs));
        _current[key] = Period(newDevice, nowMs, 0);
        emit DeviceRotated(pod, oldDevice, newDevice, nowMs);
    }

    /// @notice Close the PoD's binding now. Readings timestamped before now stay valid; later ones do not.
    function revoke(string calldata pod) external onlyDso {
        Period storage cur = _current[keccak256(bytes(pod))];
        if (cur.device == address(0) || cur.validToMs != 0) revert PodNotRegistered(pod);
        uint48 nowMs = _nowMs();
        cur.validToMs = nowMs;
        emit DeviceRevoked(pod, cur.device, nowMs);
    }

    /// @notice Add an address whose EIP-712 Setpoint signatures Light Nodes accept.
    function addSetpointSigner(address signer) external onlyDso {
        if (signer == address(0)) revert ZeroAddress();
        if (_setpointSignerIndex[signer] != 0) revert SetpointSignerExists(signer);
        _setpointSigners.push(signer);
        _setpointSignerIndex[signer] = _setpointSigners.length;
        emit SetpointSignerAdded(signer);
    }

    /// @notice Remove a setpoint signer (swap-and-pop: the order of `setpointSigners()` may change).
    function removeSetpointSigner(address signer) external onlyDso {
        uint256 idx = _setpointSignerIndex[signer];
        if (idx == 0) revert SetpointSignerUnknown(signer);
        uint256 last = _setpointSigners.length;
        if (idx != last) {
            address moved = _setpointSigners[last - 1];
            _setpointSigners[idx - 1] = moved;
            _setpointSignerIndex[moved] = idx;
        }
        _setpointSigners.pop();
        delete _setpointSignerIndex[signer];
        emit SetpointSignerRemoved(signer);
    }

    // ---------------------------------------------------------------- reads

    /// @notice The PoD's current device, or address(0) if never registered or revoked.
    function deviceOf(string calldata pod) external view returns (address) {
        Period storage cur = _current[keccak256(bytes(pod))];
        return cur.validToMs == 0 ? cur.device : address(0);
    }

    /// @notice The device whose binding covers `timestampMs` (validFromMs <= t < validToMs, open end = forever),
    ///         or address(0) if none (before the first registration, after a revocation, in a gap).
    function deviceAt(string calldata pod, uint64 timestampMs) public view returns (address) {
        bytes32 key = keccak256(bytes(pod));
        // Newest first: readings are usually recent. Periods are ordered and never overlap, so the
        // newest period starting at or before t is the only one that can contain t.
        Period memory cur = _current[key];
        if (cur.device == address(0)) return address(0);
        if (cur.validFromMs <= timestampMs) {
            return (cur.validToMs == 0 || timestampMs < cur.validToMs) ? cur.device : address(0);
        }
        Period[] storage h = _past[key];
        for (uint256 i = h.length; i > 0; --i) {
            Period storage p = h[i - 1];
            if (p.validFromMs <= timestampMs) {
                return (p.validToMs == 0 || timestampMs < p.validToMs) ? p.device : address(0);
            }
        }
        return address(0);
    }

    /// @notice Every binding the PoD ever had, oldest first.
    function historyOf(string calldata pod) external view returns (KeyPeriod[] memory out) {
        bytes32 key = keccak256(bytes(pod));
        Period memory cur = _current[key];
        if (cur.device == address(0)) return out;
        Period[] storage h = _past[key];
        uint256 n = h.length;
        out = new KeyPeriod[](n + 1);
        for (uint256 i = 0; i < n; ++i) {
            out[i] = KeyPeriod(h[i].device, h[i].validFromMs, h[i].validToMs);
        }
        out[n] = KeyPeriod(cur.device, cur.validFromMs, cur.validToMs);
    }

    /// @notice Number of distinct PoDs ever registered.
    function podCount() external view returns (uint256) {
        return _podCount;
    }

    function isSetpointSigner(address signer) external view returns (bool) {
        return _setpointSignerIndex[signer] != 0;
    }

    function setpointSigners() external view returns (address[] memory) {
        return _setpointSigners;
    }

    function isDso(address account) external view returns (bool) {
        return hasRole(DSO_ROLE, account);
    }

    /// @notice EIP-712 domain separator every Light Node signature uses (name "LightNode", version "1",
    ///         this chain, this contract as verifyingContract).
    function domainSeparator() external view returns (bytes32) {
        return ReadingTypes.domainSeparator(address(this));
    }

    /// @notice True if `pod` matches /^IT\d{3}E\d{8}[A-Z0-9]?$/ (Italian PoD code).
    function isValidPod(string calldata pod) public pure returns (bool) {
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

    // ---------------------------------------------------------------- internals

    function _register(string calldata pod, address device, uint48 nowMs) private {
        if (device == address(0)) revert ZeroAddress();
        if (!isValidPod(pod)) revert InvalidPod(pod);
        bytes32 key = keccak256(bytes(pod));
        Period memory cur = _current[key];
        if (cur.device == address(0)) {
            ++_podCount;
        } else if (cur.validToMs == 0) {
            revert PodAlreadyRegistered(pod, cur.device);
        } else {
            _past[key].push(cur); // re-registration after a revoke: the closed binding becomes history
        }
        _current[key] = Period(device, nowMs, 0);
        emit DeviceRegistered(pod, device, nowMs);
    }

    function _nowMs() private view returns (uint48) {
        return uint48(block.timestamp * 1000);
    }
}
