/**
 * Builds the acquisition sources of the config's `meters[]` (the meter engine, Modbus lines and
 * Chain 2 client live in meters/, modbus/, chain2/). The agent only needs the two shapes of
 * meters/source.ts: polled (`AcquisitionSource`) or pushed (`StreamSource`).
 */
import { LightNodeError } from '@lightnode/shared/errors';
import type { MeterConfig } from './config.js';
import type { AcquisitionMetrics, AcquisitionSource, StreamSource } from './meters/source.js';
import type { ModbusLinePool } from './meters/modbus-factory.js';

export type AnySource = { kind: 'poll'; source: AcquisitionSource } | { kind: 'stream'; source: StreamSource };

/** Creates one source from a meter config entry. Injected so tests can use in-process sources. */
export type SourceFactory = (m: MeterConfig, ctx: { metrics: AcquisitionMetrics; pod: string; dataDir?: string }) => Promise<AnySource> | AnySource;

/** Extra streamed source constructors by kind (extension point; 'modbus' and 'chain2' are built in). */
export const streamFactories = new Map<string, (m: MeterConfig, ctx: { metrics: AcquisitionMetrics; pod: string }) => StreamSource>();

/**
 * The default factory: Modbus meters share one line per port/endpoint (ModbusLinePool). The
 * Modbus and Chain 2 stacks are loaded only when a meter of that kind is configured (each pulls
 * native/serial or WebSocket packages worth several MB of RSS on a Pi).
 */
export function defaultSourceFactory(): { factory: SourceFactory; close: () => Promise<void> } {
  let pool: ModbusLinePool | undefined;
  const factory: SourceFactory = async (m, ctx) => {
    if (m.kind === 'modbus') {
      const { ModbusLinePool, createModbusMeter } = await import('./meters/modbus-factory.js');
      const { validateModbusMeterConfig } = await import('./meters/modbus-config.js');
      pool ??= new ModbusLinePool(undefined, ctx.metrics);
      const cfg = validateModbusMeterConfig(m.raw, `meters.${m.id}`); // CONFIG_INVALID names the field
      return { kind: 'poll', source: createModbusMeter(cfg, pool, { metrics: ctx.metrics }) };
    }
    if (m.kind === 'chain2') {
      const { createChain2Source } = await import('./chain2/chain2-decoder.js');
      return { kind: 'stream', source: createChain2Source(m.raw, { pod: ctx.pod, metrics: ctx.metrics }) };
    }
    if (m.kind === 'pmu') {
      const { createPmuSource } = await import('./pmu/pmu-source.js');
      return { kind: 'stream', source: await createPmuSource(m.raw, { metrics: ctx.metrics, ...(ctx.dataDir ? { dataDir: ctx.dataDir } : {}) }) };
    }
    if (m.kind === 'pmu-json') {
      const { createPlatoneSource } = await import('./pmu/platone-source.js');
      return { kind: 'stream', source: await createPlatoneSource(m.raw, { metrics: ctx.metrics, ...(ctx.dataDir ? { dataDir: ctx.dataDir } : {}) }) };
    }
    const stream = streamFactories.get(m.kind);
    if (stream) return { kind: 'stream', source: stream(m, ctx) };
    throw new LightNodeError('CONFIG_INVALID', `meters: kind "${m.kind}" has no source in this build`, { field: `meters.${m.id}.kind` });
  };
  return { factory, close: async () => { await pool?.closeAll(); } };
}
