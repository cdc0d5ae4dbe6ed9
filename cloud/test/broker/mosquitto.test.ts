import { readFileSync } from 'node:fs';
import { brokerSecurityContract } from './broker-contract.js';
import { startMosquitto } from './mosquitto-process.js';

// A real Mosquitto (the production broker) started on a free port with the generated config.
brokerSecurityContract('mosquitto (generated acl_file + password_file)', (accounts) => startMosquitto(accounts, {
  check: (files) => { if (!readFileSync(files.aclPath, 'utf8').includes('pattern write ln/v1/%u/readings')) throw new Error('acl lacks device pattern'); },
}), { refusesSubscribe: false, sharedSubscriptions: true, clientIds: 'renamed' });
