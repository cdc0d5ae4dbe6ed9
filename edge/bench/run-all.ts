/**
 * `pnpm --filter @lightnode/edge bench`: every edge benchmark, one JSON line each, each with its
 * same-run baseline. Needs the local broker (BENCH_MQTT_URL, default mqtt://127.0.0.1:1883).
 * BENCH_WARMUP_SEC (default 30) and BENCH_MEASURE_SEC (default 60) set the steady-state window.
 */
import { benchDrain } from './drain.js';
import { benchSteady } from './steady.js';

console.log(JSON.stringify(await benchDrain()));
for (const r of await benchSteady()) console.log(JSON.stringify(r));
process.exit(0);
