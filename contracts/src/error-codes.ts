/**
 * Error codes of the contracts tooling (`CONTRACTS_`: build, artifacts, deployment, local
 * anvil), each with its one-line meaning. Merged into `ErrorCode` of @lightnode/shared/errors,
 * so a misspelt code fails the typecheck.
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
  CONTRACTS_REGISTRY_NO_PROVIDER: 'the registry client was given a runner with no provider',
  CONTRACTS_SIGNER_NO_PROVIDER: 'the deploying signer has no provider',
} as const;

declare module '@lightnode/shared/errors' {
  interface ErrorCodes extends CodesOf<typeof CONTRACTS_ERRORS> {}
}
