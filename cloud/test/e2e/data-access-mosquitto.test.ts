// Data access end to end on a private Mosquitto with the dynamic-security plugin, with each store (data-access-suite.ts).
import { dataAccessSuite } from './data-access-suite.js';

dataAccessSuite('mosquitto', 'postgres');
dataAccessSuite('mosquitto', 'sqlite');
