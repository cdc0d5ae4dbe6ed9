/**
 * The DecisionCertifier over the SubscriptionRegistry (contracts/src/subscriptions): the BAL's
 * relay account sends `setTopicProvider` and `record`; the registry's refusals
 * (CONTRACTS_SUBSCRIPTION_*) become BAL_ACCESS_CHAIN_REFUSED naming the contract's error.
 */
import { LightNodeError, isLightNodeError } from '@lightnode/shared/errors';
import type { Eip712Domain } from '@lightnode/shared/eip712';
import type { SubscriptionRegistryClient } from '@lightnode/contracts/subscriptions/client';
import { decisionTypedData, type DecisionStatusCode } from '@lightnode/contracts/subscriptions/decision';
import { STATUS_CODE, type CertifiedSubscription, type DecisionCertifier, type DecisionMessage, type SubscriptionStatus } from './types.js';

/** Contract refusals (coded by the client) → BAL_ACCESS_CHAIN_REFUSED; other failures pass on (the service reports them as unavailable). */
async function mapped<T>(fn: () => Promise<T>): Promise<T> {
  try { return await fn(); } catch (err) {
    if (isLightNodeError(err) && err.code.startsWith('CONTRACTS_SUBSCRIPTION_')) {
      throw new LightNodeError('BAL_ACCESS_CHAIN_REFUSED', `SubscriptionRegistry refused: ${err.message}`, { contractCode: err.code, ...err.details }, { cause: err });
    }
    throw err;
  }
}

const code = (s: SubscriptionStatus): DecisionStatusCode => STATUS_CODE[s] as DecisionStatusCode;

/**
 * `certifier` with its transactions (`setTopicProvider`, `record`) run one at a time under `lock`
 * (the store's `withLock('relay', …)`): every API instance with data access sends from the one
 * relay account, and two sends at once would pick the same nonce. Each send waits for its receipt
 * inside the lock, so the next one sees the account's new nonce.
 */
export function serialisedCertifier(certifier: DecisionCertifier, lock: <T>(fn: () => Promise<T>) => Promise<T>): DecisionCertifier {
  return {
    ...certifier,
    setTopicProvider: (topic, provider) => lock(() => certifier.setTopicProvider(topic, provider)),
    record: (d, signature) => lock(() => certifier.record(d, signature)),
  };
}

/** A DecisionCertifier over `client` (connected to the relay signer); reads the chain id once. */
export async function createChainCertifier(client: SubscriptionRegistryClient): Promise<DecisionCertifier> {
  const domain: Eip712Domain = await client.domain();
  const asDecision = (d: DecisionMessage) => ({ provider: d.provider, consumer: d.consumer, topic: d.topic, status: code(d.status), nonce: d.nonce, deadline: d.deadline });
  return {
    setTopicProvider: (topic, provider) => mapped(() => client.setTopicProvider(topic, provider)),
    nonceOf: (signer) => client.nonceOf(signer),
    record: (d, signature) => mapped(() => client.record(asDecision(d), signature)),
    async certifiedOfTopic(topic): Promise<CertifiedSubscription[]> {
      // The views give the state; the DecisionRecorded logs give where each latest decision landed.
      const [all, logs] = await Promise.all([client.subscriptionsOfTopic(topic), client.decisionsOfTopic(topic)]);
      return all.filter((s) => s.status !== 'none').map((s) => {
        const last = logs.filter((l) => l.provider === s.provider && l.consumer === s.consumer).at(-1);
        return {
          provider: s.provider, consumer: s.consumer, topic: s.topic, status: s.status as SubscriptionStatus, createdAtSec: s.createdAtSec, updatedAtSec: s.updatedAtSec,
          transaction: last?.transaction ?? null, block: last?.block ?? null,
        };
      });
    },
    typedData(d) {
      const td = decisionTypedData(domain, asDecision(d));
      return { domain: { ...td.domain }, types: td.types, primaryType: 'Decision', message: { ...td.message } };
    },
  };
}
