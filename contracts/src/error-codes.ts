/**
 * Error codes of the contracts tooling (`CONTRACTS_`: build, artifacts, deployment, local
 * anvil, the registry clients), each with its one-line meaning; `CONTRACTS_SUBSCRIPTION_*` has one
 * code per SubscriptionRegistry custom error (src/subscriptions/errors.ts). Merged into
 * `ErrorCode` of @lightnode/shared/errors, so a misspelt code fails the typecheck.
 */
import type { CodesOf } from '@lightnode/shared/errors';

export const CONTRACTS_ERRORS = {
  CONTRACTS_ABI_DECODE: 'a registry call returned data that is not the ABI encoding expected',
  CONTRACTS_ANVIL_MISSING: 'the anvil binary for this platform is not installed',
  CONTRACTS_ANVIL_PORT_IN_USE: 'the anvil port is taken, or answers another chain id',
  CONTRACTS_ANVIL_START_FAILED: 'anvil exited during start or did not answer in time',
  CONTRACTS_ARTIFACT_INVALID: 'a contract artifact is malformed: rebuild with --force',
  CONTRACTS_ARTIFACT_MISSING: 'a contract artifact is missing: build the contracts',
  CONTRACTS_COMPILE_FAILED: 'solc reported errors or produced no bytecode',
  CONTRACTS_DEPLOYMENT_INVALID: 'a deployment file is unreadable or malformed',
  CONTRACTS_REGISTRY_NO_PROVIDER: 'a PodRegistry or SubscriptionRegistry client was given a runner with no provider',
  CONTRACTS_SUBSCRIPTION_DECISION_INVALID: 'a Decision, domain, address or signature given to the subscription helpers is malformed',
  CONTRACTS_SUBSCRIPTION_DECISION_EXPIRED: 'SubscriptionRegistry: the decision deadline is before the block time (DecisionExpired)',
  CONTRACTS_SUBSCRIPTION_INVALID_SIGNATURE: 'SubscriptionRegistry: the signature is malformed, high-s or recovers nobody (InvalidSignature)',
  CONTRACTS_SUBSCRIPTION_INVALID_STATUS: 'SubscriptionRegistry: the decision status is not 1..5 (InvalidStatus)',
  CONTRACTS_SUBSCRIPTION_INVALID_TOPIC: 'SubscriptionRegistry: the topic is empty or over 256 bytes (InvalidTopic)',
  CONTRACTS_SUBSCRIPTION_INVALID_TRANSITION: 'SubscriptionRegistry: the subscription cannot move from its status to this one (InvalidTransition)',
  CONTRACTS_SUBSCRIPTION_NONCE_MISMATCH: 'SubscriptionRegistry: the nonce is not the signer\'s next one, e.g. a replay (NonceMismatch)',
  CONTRACTS_SUBSCRIPTION_NOT_TOPIC_ADMIN: 'SubscriptionRegistry: the caller lacks TOPIC_ADMIN_ROLE (NotTopicAdmin)',
  CONTRACTS_SUBSCRIPTION_NOT_TOPIC_PROVIDER: 'SubscriptionRegistry: the decision names a provider that is not the topic\'s (NotTopicProvider)',
  CONTRACTS_SUBSCRIPTION_SELF_SUBSCRIPTION: 'SubscriptionRegistry: the consumer is the provider (SelfSubscription)',
  CONTRACTS_SUBSCRIPTION_TOPIC_UNKNOWN: 'SubscriptionRegistry: no provider is set for the topic (TopicUnknown)',
  CONTRACTS_SUBSCRIPTION_WRONG_SIGNER: 'SubscriptionRegistry: the signer may not sign this status (WrongSigner)',
  CONTRACTS_SUBSCRIPTION_ZERO_ADDRESS: 'SubscriptionRegistry: a zero provider, consumer or admin address (ZeroAddress)',
  CONTRACTS_SIGNER_NO_PROVIDER: 'the deploying signer has no provider',
} as const;

declare module '@lightnode/shared/errors' {
  interface ErrorCodes extends CodesOf<typeof CONTRACTS_ERRORS> {}
}
