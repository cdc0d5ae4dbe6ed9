/**
 * The ethers DataServerRegistry client, for the BAL's data-server mirror and the fleet CLI
 * (`fleet data-server …`): reads, decoded event logs, DSO writes with a dry run, custom errors.
 */
import { Contract, Interface, ZeroAddress, type ContractRunner, type ContractTransactionResponse, type Provider } from 'ethers';
import { LightNodeError } from '@lightnode/shared/errors';
import type { Hex } from '@lightnode/shared/hex';
import { decodeCustomError, type DecodedRevert } from '../revert.js';
import { DATA_SERVER_REGISTRY_ABI } from './abi.js';
import { DATA_SERVER_EVENT_NAMES, type DataServerEvent, type DataServerLog } from './events.js';

/** The DSO writes of DataServerRegistry. */
export type DataServerWriteFn = 'register' | 'rotate' | 'revoke' | 'allowPods' | 'removePods';

/** Outcome of a write; in a dry run `tx` and `blockNumber` are null and `gasUsed` 0. */
export interface DataServerWriteOutcome { tx: string | null; blockNumber: number | null; gasUsed: bigint; status: number | null }

export interface DataServerRegistryClient {
  readonly address: Hex;
  readonly interface: Interface;
  /** The server's current key, lower-case, or null (never registered, or revoked). */
  keyOf(serverId: string): Promise<Hex | null>;
  /** The key valid at `timestampMs`, or null. */
  keyAt(serverId: string, timestampMs: number): Promise<Hex | null>;
  /** Whether the server may speak for `pod` at `timestampMs`. */
  maySpeakFor(serverId: string, pod: string, timestampMs: number): Promise<boolean>;
  /** Decoded events in blocks [fromBlock, toBlock], in chain order. */
  logs(fromBlock: number, toBlock: number): Promise<DataServerLog[]>;
  /** Send `fn(...args)` and wait for it to be mined; `dryRun` only static-calls it. */
  write(fn: DataServerWriteFn, args: readonly unknown[], opts?: { dryRun?: boolean }): Promise<DataServerWriteOutcome>;
  decodeRevert(err: unknown): DecodedRevert | null;
}

let sharedInterface: Interface | null = null;
function dataServerInterface(): Interface {
  sharedInterface ??= new Interface(DATA_SERVER_REGISTRY_ABI);
  return sharedInterface;
}

const lower = (a: unknown): Hex => String(a).toLowerCase() as Hex;
const orNull = (a: unknown): Hex | null => { const d = lower(a); return d === ZeroAddress ? null : d; };

function decodeLog(log: { topics: readonly string[]; data: string }): DataServerEvent | null {
  const parsed = dataServerInterface().parseLog({ topics: [...log.topics], data: log.data });
  if (!parsed) return null;
  const a = parsed.args;
  switch (parsed.name) {
    case 'DataServerRegistered': return { kind: 'registered', serverId: String(a[0]), key: lower(a[1]), atMs: Number(a[2]) };
    case 'DataServerRotated': return { kind: 'rotated', serverId: String(a[0]), oldKey: lower(a[1]), newKey: lower(a[2]), atMs: Number(a[3]) };
    case 'DataServerRevoked': return { kind: 'revoked', serverId: String(a[0]), key: lower(a[1]), atMs: Number(a[2]) };
    case 'DataServerPodsAllowed': return { kind: 'podsAllowed', serverId: String(a[0]), pods: [...(a[1] as string[])].map(String), atMs: Number(a[2]) };
    case 'DataServerPodsRemoved': return { kind: 'podsRemoved', serverId: String(a[0]), pods: [...(a[1] as string[])].map(String), atMs: Number(a[2]) };
    default: return null;
  }
}

/** Client for the DataServerRegistry at `address`; `runner` is a Provider (reads) or a connected Signer (writes). */
export function dataServerRegistryClient(address: string, runner: ContractRunner): DataServerRegistryClient {
  const iface = dataServerInterface();
  const contract = new Contract(address, iface, runner);
  const addr = lower(address);
  const topics = [DATA_SERVER_EVENT_NAMES.map((n) => iface.getEvent(n)!.topicHash)];
  const provider: Provider | null = runner.provider;
  if (!provider) throw new LightNodeError('CONTRACTS_REGISTRY_NO_PROVIDER', 'dataServerRegistryClient: the runner is not connected to a provider', { address });
  const decodeRevert = (err: unknown) => decodeCustomError(iface, err);
  return {
    address: addr,
    interface: iface,
    keyOf: async (id) => orNull(await contract.getFunction('keyOf')(id)),
    keyAt: async (id, ms) => orNull(await contract.getFunction('keyAt')(id, ms)),
    maySpeakFor: async (id, pod, ms) => Boolean(await contract.getFunction('maySpeakFor')(id, pod, ms)),
    async logs(fromBlock, toBlock) {
      const raw = await provider.getLogs({ address: addr, topics, fromBlock, toBlock });
      raw.sort((x, y) => x.blockNumber - y.blockNumber || x.index - y.index);
      const out: DataServerLog[] = [];
      for (const l of raw) {
        const e = decodeLog(l);
        if (e) out.push({ ...e, blockNumber: l.blockNumber, logIndex: l.index });
      }
      return out;
    },
    async write(fn, args, opts = {}) {
      const f = contract.getFunction(fn);
      try {
        if (opts.dryRun) {
          await f.staticCall(...args);
          return { tx: null, blockNumber: null, gasUsed: 0n, status: null };
        }
        const tx = (await f(...args)) as ContractTransactionResponse;
        const rc = await tx.wait();
        return { tx: tx.hash, blockNumber: rc?.blockNumber ?? null, gasUsed: rc?.gasUsed ?? 0n, status: rc?.status ?? null };
      } catch (err) {
        const revert = decodeRevert(err);
        if (revert && err && typeof err === 'object' && !(err as { revert?: unknown }).revert) Object.assign(err, { revert });
        throw err;
      }
    },
    decodeRevert,
  };
}
