/**
 * `fleet data-server …` (issue 13 §4): the DSO's writes to the DataServerRegistry — register a
 * data server with its signing key, rotate the key, revoke it, and grant or end the PoDs it may
 * speak for. Same conventions as the PoD writes (./registry-ops.ts): arguments checked first,
 * `--dry-run` stops after a static call, reverts become FLEET_ codes naming the contract error.
 */
import { dataServerRegistryClient, type DataServerWriteFn } from '@lightnode/contracts/data-servers/client';
import { SERVER_ID_RE } from '@lightnode/contracts/data-servers/events';
import type { FleetContext } from './context.js';
import { FleetCode, FleetError, toFleetError } from './errors.js';

export const DATA_SERVER_ACTIONS = ['register', 'rotate', 'revoke', 'allow', 'remove'] as const;
export type DataServerAction = (typeof DATA_SERVER_ACTIONS)[number];

export interface DataServerWriteResult {
  action: DataServerAction;
  serverId: string;
  /** The key after the write (register, rotate), or null. */
  key: string | null;
  /** The PoDs granted or removed (allow, remove). */
  pods: string[];
  dryRun: boolean;
  txs: string[];
}

/** Check a server id (the contract's `isValidServerId`). */
export function validateServerId(id: string | undefined): string {
  if (!id || !SERVER_ID_RE.test(id)) throw new FleetError(FleetCode.USAGE, `--server: expected 1..64 characters of [A-Za-z0-9._-], found ${JSON.stringify(id)}`);
  return id;
}

/** Grants per transaction (a grant costs ~50k gas). */
const POD_CHUNK = 250;

/** Run one data-server write. `key` for register/rotate, `pods` for allow/remove (validated by the caller). */
export async function dataServerWrite(ctx: FleetContext, action: DataServerAction, serverId: string, opts: { key?: string; pods?: string[] }): Promise<DataServerWriteResult> {
  const address = ctx.deployment.dataServerRegistry;
  if (!address) throw new FleetError(FleetCode.DEPLOYMENT_INVALID, 'the deployment file names no dataServerRegistry (redeploy with `pnpm chain`)');
  if (!ctx.wallet) throw new FleetError(FleetCode.KEY_MISSING, `data-server ${action}: a DSO key is needed to write`);
  const client = dataServerRegistryClient(address, ctx.wallet);
  const send = async (fn: DataServerWriteFn, args: unknown[]): Promise<string | null> => {
    try {
      const out = await client.write(fn, args, { dryRun: ctx.dryRun });
      if (!ctx.dryRun && out.status !== 1) throw new FleetError(FleetCode.TX_FAILED, `data-server ${action} ${serverId}: transaction ${out.tx} failed`);
      return out.tx;
    } catch (err) {
      throw toFleetError(err, `data-server ${action} ${serverId}`, client.interface);
    }
  };
  const txs: string[] = [];
  const base = { action, serverId, key: null as string | null, pods: [] as string[], dryRun: ctx.dryRun, txs };
  switch (action) {
    case 'register':
    case 'rotate': {
      const tx = await send(action, [serverId, opts.key]);
      if (tx) txs.push(tx);
      return { ...base, key: opts.key ?? null };
    }
    case 'revoke': {
      const tx = await send('revoke', [serverId]);
      if (tx) txs.push(tx);
      return base;
    }
    default: {
      const pods = opts.pods ?? [];
      for (let i = 0; i < pods.length; i += POD_CHUNK) {
        const tx = await send(action === 'allow' ? 'allowPods' : 'removePods', [serverId, pods.slice(i, i + POD_CHUNK)]);
        if (tx) txs.push(tx);
      }
      return { ...base, pods };
    }
  }
}
