/** Open the store named by the config (`store` section): SQLite by default, PostgreSQL for production. */
import { openPostgresStore } from './postgres-store.js';
import { openSqliteStore } from './sqlite-store.js';
import type { BalStore, StoreConfig } from './types.js';

/** Open a BalStore from its config. */
export async function openStore(config: StoreConfig, opts: { now?: () => number } = {}): Promise<BalStore> {
  if (config.kind === 'sqlite') return openSqliteStore({ path: config.path, ...opts });
  return openPostgresStore({ url: config.url, schema: config.schema, poolSize: config.poolSize,
    ...(config.connectTimeoutMs !== undefined ? { connectTimeoutMs: config.connectTimeoutMs } : {}), ...(config.queryTimeoutMs !== undefined ? { queryTimeoutMs: config.queryTimeoutMs } : {}), ...opts });
}
