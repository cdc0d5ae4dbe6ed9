// Data access end to end on the embedded aedes broker, with each store (data-access-suite.ts).
import { dataAccessSuite } from './data-access-suite.js';

dataAccessSuite('embedded', 'sqlite');
dataAccessSuite('embedded', 'postgres');
