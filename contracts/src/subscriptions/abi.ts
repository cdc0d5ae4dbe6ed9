/**
 * The SubscriptionRegistry ABI in human-readable form: the one copy the TypeScript client
 * (./client.ts) builds its ethers Interface from. Kept by hand so the client works without the
 * solc build (the artifacts are not committed); test/subscription-abi.test.ts fails when it drifts
 * from the compiled artifact. Pure data: importing it loads no ABI library.
 */
import { ACCESS_CONTROL_ABI } from '../access-control-abi.js';

/** The ABI tuple of a Decision (EIP-712 `Decision`, docs/data-access.md). */
const DECISION = '(address provider, address consumer, string topic, uint8 status, uint256 nonce, uint64 deadline)';
/** The ABI tuple of a Subscription as the views return it. */
const SUBSCRIPTION = '(address provider, address consumer, string topic, uint8 status, uint64 createdAt, uint64 updatedAt)';

export const SUBSCRIPTION_REGISTRY_ABI = [
  'constructor(address admin)',
  // Writes
  'function setTopicProvider(string topic, address provider)',
  `function record(${DECISION} d, bytes signature)`,
  // Views
  `function subscriptionOf(address provider, address consumer, string topic) view returns (${SUBSCRIPTION})`,
  `function subscriptionsOfTopic(string topic) view returns (${SUBSCRIPTION}[] out)`,
  'function topicProviderOf(string topic) view returns (address)',
  'function nonces(address) view returns (uint256)',
  'function subscriptionKey(address provider, address consumer, string topic) pure returns (bytes32)',
  'function domainSeparator() view returns (bytes32)',
  `function decisionDigest(${DECISION} d) view returns (bytes32)`,
  'function MAX_TOPIC_BYTES() view returns (uint256)',
  // Roles (OpenZeppelin AccessControl's functions, events and errors: ACCESS_CONTROL_ABI)
  'function TOPIC_ADMIN_ROLE() view returns (bytes32)',
  'function DSO_ADMIN_ROLE() view returns (bytes32)',
  // Events
  'event TopicProviderSet(bytes32 indexed topicHash, string topic, address indexed provider)',
  'event DecisionRecorded(bytes32 indexed key, bytes32 indexed topicHash, address indexed provider, address consumer, string topic, uint8 status, uint64 timestamp, address signer)',
  // Custom errors (each maps to one CONTRACTS_SUBSCRIPTION_* code in ./client.ts)
  'error InvalidSignature()',
  'error NonceMismatch(uint256 expected, uint256 got)',
  'error DecisionExpired(uint64 deadline, uint256 nowSec)',
  'error TopicUnknown(string topic)',
  'error NotTopicProvider(string topic, address provider, address given)',
  'error SelfSubscription(address account)',
  'error WrongSigner(address signer, uint8 status)',
  'error InvalidTransition(uint8 from, uint8 to)',
  'error ZeroAddress()',
  'error NotTopicAdmin(address account)',
  'error InvalidStatus(uint8 status)',
  'error InvalidTopic(uint256 length)',
  ...ACCESS_CONTROL_ABI,
] as const;
