// The same broker security contract against a real Mosquitto 2 running the dynamic-security
// plugin with the generated dynamic-security.json (and no password_file / acl_file).
import { existsSync, readFileSync } from 'node:fs';
import { brokerSecurityContract } from './broker-contract.js';
import { startMosquitto } from './mosquitto-process.js';

const PLUGIN = process.env.MOSQUITTO_DYNSEC_PLUGIN ?? '/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so';
if (!existsSync(PLUGIN)) throw new Error(`dynamic-security plugin not found at ${PLUGIN} (set MOSQUITTO_DYNSEC_PLUGIN)`);

brokerSecurityContract('mosquitto (generated dynamic-security.json)', (accounts) => startMosquitto(accounts, {
  dynsecPluginPath: PLUGIN,
  check: (files) => {
    const conf = readFileSync(files.configPath, 'utf8');
    if (!conf.includes(`plugin ${PLUGIN}`) || /password_file|acl_file/.test(conf)) throw new Error(`config does not load only the plugin:\n${conf}`);
  },
}), { refusesSubscribe: true, sharedSubscriptions: true, clientIds: 'refused' });
