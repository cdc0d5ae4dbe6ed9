/**
 * A real consumer for tests that need a non-dso principal (static consumer API keys are gone: a
 * consumer is a data user whose PoDs follow its accepted subscriptions). `prepareAccess()` starts
 * anvil with the contracts and the real access parts (real-parts.ts); `service(store, metrics)`
 * builds the data-access service over a test's own store (synchronously, as `createApiApp` and the
 * API fixture take it); `consumerOf(pod)` makes a producer of `pod` and a consumer, certifies the
 * consumer's accepted subscription on chain and returns the consumer's bearer token.
 */
import { randomBytes } from 'node:crypto';
import { certifiedTopic } from '@lightnode/shared/topics';
import { startChain } from '@lightnode/test-kit/chain';
import { createDataAccessService, type DataAccessService } from '../../src/access/service.js';
import { MetricsRegistry } from '../../src/metrics.js';
import type { BalStore } from '../../src/store/types.js';
import { TEST_SCRYPT, startAccessParts } from './real-parts.js';

export interface PreparedAccess {
  service(store: BalStore, metrics?: MetricsRegistry): DataAccessService;
  /** The bearer token of a consumer whose subscription to `pod`'s stream is accepted. */
  consumerOf(pod: string): Promise<string>;
  stop(): Promise<void>;
}

/** Start the chain and the access parts. */
export async function prepareAccess(): Promise<PreparedAccess> {
  const chain = await startChain();
  let parts;
  try { parts = await startAccessParts(chain); } catch (err) { await chain.stop(); throw err; }
  const p = parts;
  let svc: DataAccessService | null = null;
  return {
    service(store, metrics = new MetricsRegistry()) {
      svc = createDataAccessService({ store, certifier: p.certifier, enforcer: p.enforcer, masterKey: randomBytes(32), metrics, passwordParams: TEST_SCRYPT });
      p.bind(svc);
      return svc;
    },
    async consumerOf(pod) {
      const access = svc!;
      const producerName = `owner-${pod.toLowerCase()}`;
      await access.createUser({ username: producerName, role: 'producer', password: 'producer-password-1', pods: [pod] });
      await access.createUser({ username: `cons-${pod.toLowerCase()}`, role: 'consumer', password: 'consumer-password-1' });
      const consumer = await access.login(`cons-${pod.toLowerCase()}`, 'consumer-password-1', '127.0.0.1');
      const sub = await access.request(consumer.user, certifiedTopic(pod));
      const producer = await access.login(producerName, 'producer-password-1', '127.0.0.1');
      await access.decide(producer.user, sub.id, 'accept');
      return consumer.token;
    },
    async stop() { await p.close(); await chain.stop(); },
  };
}
