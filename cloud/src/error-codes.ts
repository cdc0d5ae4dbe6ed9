/**
 * Error codes of the Blockchain Access Layer (`BAL_`), each with its one-line meaning: thrown
 * errors, REST API answer codes and the ack rejection codes of docs/interfaces.md. Merged into
 * `ErrorCode` of @lightnode/shared/errors, so a misspelt code fails the typecheck;
 * shared/test/error-catalogue.test.ts checks that every code used in the sources is listed here.
 */
import type { CodesOf } from '@lightnode/shared/errors';

export const BAL_ERRORS = {
  BAL_ACCESS_CHAIN_REFUSED: 'the SubscriptionRegistry refused a decision (its error named)',
  BAL_ACCESS_CHAIN_UNAVAILABLE: 'the chain could not be reached for a data-access read or decision',
  BAL_ACCESS_DISABLED: 'data access is not configured on this BAL',
  BAL_ACCESS_DUPLICATE_REQUEST: 'a request while the subscription is already requested or accepted',
  BAL_ACCESS_FORBIDDEN: 'the role may not take this action (or not on this subscription)',
  BAL_ACCESS_LOGIN_FAILED: 'unknown user, wrong password or disabled user',
  BAL_ACCESS_LOGIN_RATE_LIMITED: 'too many failed logins for this username or address (details.retryAfterSec)',
  BAL_ACCESS_NOT_TOPIC_OWNER: "a producer deciding on another producer's topic",
  BAL_ACCESS_SELF_DECISION: 'a consumer accepting, refusing or revoking its own subscription',
  BAL_ACCESS_SIGNATURE_INVALID: 'a decision signature is missing, expired or not the wallet owner\'s',
  BAL_ACCESS_SUBSCRIPTION_UNKNOWN: 'no such subscription (or not visible to the caller)',
  BAL_ACCESS_TOPIC_EXISTS: 'a stream topic already has a producer',
  BAL_ACCESS_TOPIC_UNKNOWN: 'no stream on this topic',
  BAL_ACCESS_TRANSITION_INVALID: "the action is not allowed from the subscription's current status",
  BAL_ACCESS_USER_EXISTS: 'a user with this username (case-insensitive) or wallet exists (the field is named)',
  BAL_ACCESS_USER_INVALID: 'a user field breaks its rule (the field is named; a password is never echoed)',
  BAL_ACCESS_USER_UNKNOWN: 'no user with this id or name',
  BAL_ACCESS_WALLET_KEY: 'the wallet master key file or a custodial key is unusable (mode, size, tampering)',
  BAL_ANCHOR_EMPTY_WINDOW: 'an anchor window was built with no readings (internal invariant)',
  BAL_ANCHOR_NO_PROVIDER: 'the anchoring signer is not connected to a JSON-RPC provider',
  BAL_ANCHOR_ROOT_MISMATCH: 'a rebuilt anchor root differs from the recorded one',
  BAL_API_BAD_REQUEST: 'malformed HTTP request or body',
  BAL_API_BODY_INVALID: 'a request body is not a JSON object or a field of it is invalid (the field is named)',
  BAL_API_DASHBOARD_NOT_BUILT: 'the dashboard assets are missing: run the build (pnpm build) before serving it',
  BAL_API_EVENT_STREAMS_FULL: 'too many live event streams are open; retry later',
  BAL_API_EVENT_TICKET_INVALID: 'an event-stream ticket is unknown, used or expired (POST /api/events/ticket for a new one)',
  BAL_API_FORBIDDEN: 'the API key may not see this resource',
  BAL_API_INTERNAL: 'unexpected failure answering a request',
  BAL_API_NOT_FOUND: 'no such resource or route',
  BAL_API_QUERY_INVALID: 'a query parameter is invalid (the field is named)',
  BAL_API_UNAUTHORIZED: 'no API key or bearer token',
  BAL_BROKER_AUTH_FAILED: 'MQTT connect with a bad username or password',
  BAL_BROKER_CLIENT_ID_REFUSED: "MQTT connect with a client id that is not the account's (CONNACK 5; cloud/README.md \"Client ids\")",
  BAL_BROKER_DYNSEC_FAILED: 'a Mosquitto dynamic-security command failed or went unanswered (the command and the plugin error named)',
  BAL_BROKER_DYNSEC_HASH: 'a password hash Mosquitto dynamic security cannot use',
  BAL_BROKER_GRANT_INVALID: 'a broker grant names an invalid username or no certified stream topic',
  BAL_BROKER_PUBLISH_REFUSED: 'MQTT publish refused: payload too large or topic not allowed',
  BAL_CHAIN_MISMATCH: 'the chain behind the RPC URL is not the configured one (chain id, contract code or deploy block hash differ): anchoring paused until it is',
  BAL_CHAIN_TIMEOUT: 'a chain RPC request got no answer within chain.rpcTimeoutMs (counted as a chain error)',
  BAL_CREDENTIALS_INVALID: 'the broker credentials file is invalid',
  BAL_DEVICE_REVOKED: 'ack: the signing device was revoked before the reading',
  BAL_EQUIVOCATION: 'ack: another reading is stored under the same (signer, seq)',
  BAL_INTERNAL: 'an internal invariant of the ingest failed (a bug)',
  BAL_METRIC_INVALID: 'a metric or label is misdeclared or misused (a bug)',
  BAL_NATIVE_UNAVAILABLE: 'secp256k1 "native" was asked for but the native binding is not installed',
  BAL_POD_MISMATCH: "ack/status: a PoD other than the topic's",
  BAL_POD_UNKNOWN: 'ack: the PoD is not in the registry',
  BAL_READING_INVALID: 'ack: the reading breaks a rule',
  BAL_READING_NOT_ANCHORED: 'no receipt yet: the reading is not anchored',
  BAL_SIGNATURE_INVALID: 'ack: the signature does not recover',
  BAL_SIGNER_NOT_REGISTERED: "ack: the signer is not the PoD's device at the reading's time",
  BAL_STORE_CONFLICT: 'the store refused a write that conflicts with stored data',
  BAL_STORE_INVALID: 'a store call argument is invalid',
  BAL_TIMEOUT: 'a start-up or shut-down step did not finish in time',
  BAL_TIMESTAMP_FUTURE: "ack: the reading is stamped too far ahead of the BAL's clock",
  BAL_USAGE: 'bad command line (exit 2 with the usage text)',
  BAL_VERIFY_POOL_CLOSED: 'a reading was submitted to, or was in, the verify pool while it closed',
  BAL_VERIFY_WORKER_EXIT: 'a verify worker thread exited while readings were in flight',
} as const;

declare module '@lightnode/shared/errors' {
  interface ErrorCodes extends CodesOf<typeof BAL_ERRORS> {}
}
