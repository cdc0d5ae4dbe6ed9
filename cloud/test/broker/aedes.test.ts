import { brokerSecurityContract } from './broker-contract.js';
import { startEmbeddedBroker } from '../../src/broker/embedded-broker.js';
import { CredentialStore } from '../../src/broker/credentials.js';

brokerSecurityContract('embedded aedes', async (accounts) => {
  const b = await startEmbeddedBroker({ port: 0, credentials: new CredentialStore(accounts) });
  return { url: b.url!, stop: () => b.close() };
}, { refusesSubscribe: true, clientIds: 'refused' });
