// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title SubscriptionRegistry
/// @notice The certified record of data-access decisions (docs/data-access.md "On chain"): a consumer
///         requests a producer's topic, the producer (or a DSO admin) accepts, refuses or revokes, the
///         consumer may cancel. Every decision is an EIP-712 `Decision` signed by the deciding party's
///         wallet; anyone may relay it (the BAL pays gas), so the chain proves who decided what, not who
///         paid. The topic admin (the BAL's relay account) says which wallet provides each topic.
/// @dev EIP-712 domain { name: "LightNode SubscriptionRegistry", version: "1", chainId, verifyingContract: this }.
///      Type: Decision(address provider,address consumer,string topic,uint8 status,uint256 nonce,uint64 deadline).
///      Status: 0 none, 1 requested, 2 accepted, 3 refused, 4 revoked, 5 cancelled. Transitions:
///        none | refused | revoked | cancelled -> requested   (signed by the consumer)
///        requested -> accepted | refused                    (signed by the provider or a DSO admin)
///        requested | accepted -> cancelled                  (signed by the consumer)
///        accepted -> revoked                                (signed by the provider or a DSO admin)
///      A subscription is keyed by keccak256(abi.encode(provider, consumer, keccak256(bytes(topic)))). Moving a
///      topic to another provider (setTopicProvider) starts new keys: the subscriptions under the old provider
///      keep their last status and can no longer change, because every decision must name the current provider.
///      Times are chain seconds (block.timestamp), unlike PodRegistry's milliseconds: decisions are not readings.
contract SubscriptionRegistry is AccessControl {
    /// @notice Role of the accounts that say which wallet provides a topic (the BAL's relay account).
    bytes32 public constant TOPIC_ADMIN_ROLE = keccak256("TOPIC_ADMIN_ROLE");
    /// @notice Role of the DSO's admin users' wallets: they may accept, refuse or revoke on any topic.
    bytes32 public constant DSO_ADMIN_ROLE = keccak256("DSO_ADMIN_ROLE");

    // Status numbers (the Decision type's `status`); private so the ABI stays the functions callers use.
    uint8 private constant STATUS_NONE = 0;
    uint8 private constant STATUS_REQUESTED = 1;
    uint8 private constant STATUS_ACCEPTED = 2;
    uint8 private constant STATUS_REFUSED = 3;
    uint8 private constant STATUS_REVOKED = 4;
    uint8 private constant STATUS_CANCELLED = 5;

    /// @notice Longest topic accepted, in bytes: bounds the gas and log size a relayed decision can cost.
    uint256 public constant MAX_TOPIC_BYTES = 256;

    /// @notice One signed decision on the subscription of `consumer` to `provider`'s `topic`.
    /// @dev `nonce` must equal `nonces(signer)`; `deadline` is the last chain second at which it may be recorded.
    struct Decision {
        address provider;
        address consumer;
        string topic;
        uint8 status;
        uint256 nonce;
        uint64 deadline;
    }

    /// @notice A subscription as the views return it; `createdAt` is its first request, `updatedAt` its last
    ///         decision (chain seconds). `status` 0 means there is none.
    struct Subscription {
        address provider;
        address consumer;
        string topic;
        uint8 status;
        uint64 createdAt;
        uint64 updatedAt;
    }

    /// @dev Storage form of a subscription in two slots (20 + 8 bytes, 20 + 8 + 1 bytes); the topic string
    ///      is not stored, every view is given it.
    struct Record {
        address provider;
        uint64 createdAt;
        address consumer;
        uint64 updatedAt;
        uint8 status;
    }

    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant DECISION_TYPEHASH = keccak256(
        "Decision(address provider,address consumer,string topic,uint8 status,uint256 nonce,uint64 deadline)"
    );
    bytes32 private constant NAME_HASH = keccak256("LightNode SubscriptionRegistry");
    bytes32 private constant VERSION_HASH = keccak256("1");

    /// @notice Next valid decision nonce of each signer (incremented by every recorded decision it signed).
    mapping(address => uint256) public nonces;
    /// @dev keccak256(bytes(topic)) => its provider (0 = unknown topic).
    mapping(bytes32 => address) private _topicProvider;
    /// @dev subscription key => record.
    mapping(bytes32 => Record) private _records;
    /// @dev keccak256(bytes(topic)) => the keys of its subscriptions, in order of first request.
    mapping(bytes32 => bytes32[]) private _topicKeys;

    /// @notice The signature is not 65 bytes, has a high s (malleable), a v other than 27/28, or recovers nobody.
    error InvalidSignature();
    /// @notice The decision's nonce is not the signer's next nonce (a replay, or signed out of order).
    error NonceMismatch(uint256 expected, uint256 got);
    /// @notice The decision's deadline is before the current block's timestamp.
    error DecisionExpired(uint64 deadline, uint256 nowSec);
    /// @notice No provider was set for the topic.
    error TopicUnknown(string topic);
    /// @notice The decision names a provider that is not the topic's provider.
    error NotTopicProvider(string topic, address provider, address given);
    /// @notice The consumer is the provider: nobody subscribes to their own topic.
    error SelfSubscription(address account);
    /// @notice The signer may not sign this status (requested/cancelled: the consumer; accepted/refused/revoked:
    ///         the provider or a DSO admin, never the consumer).
    error WrongSigner(address signer, uint8 status);
    /// @notice The subscription cannot move from `from` to `to` (see the transition table).
    error InvalidTransition(uint8 from, uint8 to);
    /// @notice The zero address is not an admin, provider or consumer.
    error ZeroAddress();
    /// @notice The caller does not hold TOPIC_ADMIN_ROLE.
    error NotTopicAdmin(address account);
    /// @notice The decision's status is not 1..5.
    error InvalidStatus(uint8 status);
    /// @notice The topic is empty or longer than MAX_TOPIC_BYTES.
    error InvalidTopic(uint256 length);

    /// @notice `topic` is now provided by `provider` (first registration or a move).
    event TopicProviderSet(bytes32 indexed topicHash, string topic, address indexed provider);
    /// @notice A decision was recorded: the subscription `key` now has `status`, since `timestamp` (chain seconds).
    event DecisionRecorded(
        bytes32 indexed key,
        bytes32 indexed topicHash,
        address indexed provider,
        address consumer,
        string topic,
        uint8 status,
        uint64 timestamp,
        address signer
    );

    /// @param admin Account holding DEFAULT_ADMIN_ROLE (grants TOPIC_ADMIN_ROLE and DSO_ADMIN_ROLE); it holds neither.
    constructor(address admin) {
        if (admin == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    // ---------------------------------------------------------------- writes

    /// @notice Make `provider` the wallet that decides on `topic` (TOPIC_ADMIN_ROLE only). Setting the same
    ///         provider again only re-emits the event.
    function setTopicProvider(string calldata topic, address provider) external {
        if (!hasRole(TOPIC_ADMIN_ROLE, msg.sender)) revert NotTopicAdmin(msg.sender);
        _checkTopic(topic);
        if (provider == address(0)) revert ZeroAddress();
        bytes32 topicHash = keccak256(bytes(topic));
        _topicProvider[topicHash] = provider;
        emit TopicProviderSet(topicHash, topic, provider);
    }

    /// @notice Record a signed decision; anyone may relay it. Reverts with the first rule it breaks, checked in
    ///         this order: status, topic length, addresses, self subscription, deadline, signature, nonce, topic
    ///         provider, signer, transition. On success the signer's nonce is used up.
    function record(Decision calldata d, bytes calldata signature) external {
        if (d.status == STATUS_NONE || d.status > STATUS_CANCELLED) revert InvalidStatus(d.status);
        _checkTopic(d.topic);
        if (d.provider == address(0) || d.consumer == address(0)) revert ZeroAddress();
        if (d.provider == d.consumer) revert SelfSubscription(d.consumer);
        if (block.timestamp > d.deadline) revert DecisionExpired(d.deadline, block.timestamp);

        // OpenZeppelin ECDSA: rejects length != 65 and s > n/2; ecrecover yields 0 for v not in {27, 28}.
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(_digest(d), signature);
        if (err != ECDSA.RecoverError.NoError) revert InvalidSignature();
        uint256 expected = nonces[signer];
        if (d.nonce != expected) revert NonceMismatch(expected, d.nonce);
        nonces[signer] = expected + 1; // a later revert undoes it with the rest of the transaction

        bytes32 topicHash = keccak256(bytes(d.topic));
        _checkSigner(d, topicHash, signer);
        bytes32 key = _key(d.provider, d.consumer, topicHash);
        _transition(d, key, topicHash);
        emit DecisionRecorded(key, topicHash, d.provider, d.consumer, d.topic, d.status, uint64(block.timestamp), signer);
    }

    // ---------------------------------------------------------------- reads

    /// @notice The subscription of `consumer` to `provider`'s `topic` (status 0 and zero times if none).
    function subscriptionOf(address provider, address consumer, string calldata topic)
        external
        view
        returns (Subscription memory)
    {
        Record storage r = _records[_key(provider, consumer, keccak256(bytes(topic)))];
        return Subscription(provider, consumer, topic, r.status, r.createdAt, r.updatedAt);
    }

    /// @notice Every subscription ever made to `topic` (any status, any provider it had), in order of first request.
    function subscriptionsOfTopic(string calldata topic) external view returns (Subscription[] memory out) {
        bytes32[] storage keys = _topicKeys[keccak256(bytes(topic))];
        uint256 n = keys.length;
        out = new Subscription[](n);
        for (uint256 i = 0; i < n; ++i) {
            Record storage r = _records[keys[i]];
            out[i] = Subscription(r.provider, r.consumer, topic, r.status, r.createdAt, r.updatedAt);
        }
    }

    /// @notice The wallet that provides `topic`, or address(0) for an unknown topic.
    function topicProviderOf(string calldata topic) external view returns (address) {
        return _topicProvider[keccak256(bytes(topic))];
    }

    /// @notice The subscription key of (provider, consumer, topic): keccak256(abi.encode(provider, consumer, keccak256(bytes(topic)))).
    function subscriptionKey(address provider, address consumer, string calldata topic) external pure returns (bytes32) {
        return _key(provider, consumer, keccak256(bytes(topic)));
    }

    /// @notice EIP-712 domain separator of the decisions (name "LightNode SubscriptionRegistry", version "1",
    ///         this chain, this contract).
    function domainSeparator() public view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, block.chainid, address(this)));
    }

    /// @notice The EIP-712 digest a wallet signs for `d` (for off-chain cross-checks).
    function decisionDigest(Decision calldata d) external view returns (bytes32) {
        return _digest(d);
    }

    // ---------------------------------------------------------------- internals

    function _digest(Decision calldata d) private view returns (bytes32) {
        bytes32 structHash = keccak256(
            abi.encode(DECISION_TYPEHASH, d.provider, d.consumer, keccak256(bytes(d.topic)), d.status, d.nonce, d.deadline)
        );
        return keccak256(abi.encodePacked(hex"1901", domainSeparator(), structHash));
    }

    /// @dev The topic's provider is the decision's, and `signer` may sign the decision's status.
    function _checkSigner(Decision calldata d, bytes32 topicHash, address signer) private view {
        address provider = _topicProvider[topicHash];
        if (provider == address(0)) revert TopicUnknown(d.topic);
        if (provider != d.provider) revert NotTopicProvider(d.topic, provider, d.provider);
        if (d.status == STATUS_REQUESTED || d.status == STATUS_CANCELLED) {
            if (signer != d.consumer) revert WrongSigner(signer, d.status);
        } else if (signer == d.consumer || (signer != provider && !hasRole(DSO_ADMIN_ROLE, signer))) {
            // The consumer never decides on its own subscription, even when it is also a DSO admin.
            revert WrongSigner(signer, d.status);
        }
    }

    /// @dev Moves subscription `key` to `d.status` if the table allows it; a first request creates it.
    function _transition(Decision calldata d, bytes32 key, bytes32 topicHash) private {
        Record storage r = _records[key];
        uint8 from = r.status;
        uint8 to = d.status;
        if (!_allowed(from, to)) revert InvalidTransition(from, to);
        uint64 nowSec = uint64(block.timestamp);
        if (from == STATUS_NONE) {
            r.provider = d.provider;
            r.consumer = d.consumer;
            r.createdAt = nowSec;
            _topicKeys[topicHash].push(key);
        }
        r.status = to;
        r.updatedAt = nowSec;
    }

    function _key(address provider, address consumer, bytes32 topicHash) private pure returns (bytes32) {
        return keccak256(abi.encode(provider, consumer, topicHash));
    }

    function _checkTopic(string calldata topic) private pure {
        uint256 n = bytes(topic).length;
        if (n == 0 || n > MAX_TOPIC_BYTES) revert InvalidTopic(n);
    }

    /// @dev The transition table of docs/data-access.md; everything not listed is refused.
    function _allowed(uint8 from, uint8 to) private pure returns (bool) {
        if (to == STATUS_REQUESTED) {
            return from == STATUS_NONE || from == STATUS_REFUSED || from == STATUS_REVOKED || from == STATUS_CANCELLED;
        }
        if (to == STATUS_ACCEPTED || to == STATUS_REFUSED) return from == STATUS_REQUESTED;
        if (to == STATUS_CANCELLED) return from == STATUS_REQUESTED || from == STATUS_ACCEPTED;
        if (to == STATUS_REVOKED) return from == STATUS_ACCEPTED;
        return false;
    }
}
