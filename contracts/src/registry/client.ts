/**
 * The ethers-based PodRegistry client (DESIGN §5) for the BAL (cloud/src/registry/) and the
 * fleet CLI (scripts/src/fleet/): typed reads, decoded event logs, DSO writes with a dry run,
 * and custom-error decoding. Built from the hand-kept ABI (./abi.ts), so it works without the
 * solc build. The edge must not import this file (it loads ethers); it uses ./calls.ts.
 */
import { Contract, Interface, ZeroAddress, type ContractRunner, type ContractTransactionResponse, type Provider } from 'ethers';
import { LightNodeError } from '@lightnode/shared/errors';
import type { Hex } from '@lightnode/shared/hex';
import { decodeCustomError, type DecodedRevert } from '../revert.js';
import { POD_REGISTRY_ABI } from './abi.js';
import { REGISTRY_EVENT_NAMES, type RegistryEvent, type RegistryLog } from './events.js';

/** One binding period of `historyOf` (`validToMs` 0 = still open). */
export interface KeyPeriod { device: Hex; validFromMs: number; validToMs: number }

/** The DSO writes of PodRegistry. */
export type RegistryWriteFn = 'register' | 'registerBatch' | 'rotate' | 'revoke' | 'addSetpointSigner' | 'removeSetpointSigner';

/** Outcome of a write; in a dry run (static call only) `tx` and `blockNumber` are null and `gasUsed` 0. */
export interface WriteOutcome { tx: string | null; blockNumber: number | null; gasUsed: bigint; status: number | null }

export type { DecodedRevert };

/** The PodRegistry at one address, read through (and, with a signer runner, written by) ethers. */
export interface PodRegistryClient {
  /** Lower-case contract address. */
  readonly address: Hex;
  /** The ethers Interface of ./abi.ts (for callers that decode errors themselves). */
  readonly interface: Interface;
  /** The current device of `pod`, lower-case, or null (never registered, or revoked). */
  deviceOf(pod: string): Promise<Hex | null>;
  /** The device bound to `pod` at `timestampMs` (`PodRegistry.deviceAt`), or null. */
  deviceAt(pod: string, timestampMs: number): Promise<Hex | null>;
  /** Every binding period of `pod`, oldest first. */
  historyOf(pod: string): Promise<KeyPeriod[]>;
  /** True when `account` holds DSO_ROLE. */
  isDso(account: string): Promise<boolean>;
  /** The DSO's setpoint-signing addresses, lower-case. */
  setpointSigners(): Promise<Hex[]>;
  /** Decoded registry events in blocks [fromBlock, toBlock], in chain order (one eth_getLogs). */
  logs(fromBlock: number, toBlock: number): Promise<RegistryLog[]>;
  /** Send `fn(...args)` and wait for it to be mined; `dryRun` only static-calls it. Rethrows ethers' error with `revert` decoded. */
  write(fn: RegistryWriteFn, args: readonly unknown[], opts?: { dryRun?: boolean }): Promise<WriteOutcome>;
  /** The registry custom error carried by an ethers error, or null. */
  decodeRevert(err: unknown): DecodedRevert | null;
}

let sharedInterface: Interface | null = null;

/** The PodRegistry ethers Interface (built once per process from ./abi.ts). */
function podRegistryInterface(): Interface {
  sharedInterface ??= new Interface(POD_REGISTRY_ABI);
  return sharedInterface;
}

const lower = (a: unknown): Hex => String(a).toLowerCase() as Hex;
const orNull = (a: unknown): Hex | null => { const d = lower(a); return d === ZeroAddress ? null : d; };

/** Decode one PodRegistry log; null for events the readers do not follow (role changes). */
function decodeRegistryLog(log: { topics: readonly string[]; data: string }): RegistryEvent | null {
  const parsed = podRegistryInterface().parseLog({ topics: [...log.topics], data: log.data });
  if (!parsed) return null;
  const a = parsed.args;
  switch (parsed.name) {
    case 'DeviceRegistered': return { kind: 'registered', pod: String(a[0]), device: lower(a[1]), atMs: Number(a[2]) };
    case 'DeviceRotated': return { kind: 'rotated', pod: String(a[0]), oldDevice: lower(a[1]), newDevice: lower(a[2]), atMs: Number(a[3]) };
    case 'DeviceRevoked': return { kind: 'revoked', pod: String(a[0]), device: lower(a[1]), atMs: Number(a[2]) };
    case 'SetpointSignerAdded': return { kind: 'setpointSignerAdded', signer: lower(a[0]) };
    case 'SetpointSignerRemoved': return { kind: 'setpointSignerRemoved', signer: lower(a[0]) };
    default: return null;
  }
}

/** The registry custom error carried by an ethers error (`revert`, or undecoded revert `data`), or null. */
function decodeRegistryRevert(err: unknown): DecodedRevert | null {
  return decodeCustomError(podRegistryInterface(), err);
}

/** Client for the PodRegistry at `address`; `runner` is a Provider for reads or a connected Signer for writes. */
export function podRegistryClient(address: string, runner: ContractRunner): PodRegistryClient {
  const iface = podRegistryInterface();
  const contract = new Contract(address, iface, runner);
  const addr = lower(address);
  const topics = [REGISTRY_EVENT_NAMES.map((n) => iface.getEvent(n)!.topicHash)];
  // A Provider is its own `provider`; a Signer must be connected to one (reads, logs, writes).
  const provider: Provider | null = runner.provider;
  if (!provider) throw new LightNodeError('CONTRACTS_REGISTRY_NO_PROVIDER', 'podRegistryClient: the runner is not connected to a provider', { address });
  return {
    address: addr,
    interface: iface,
    deviceOf: async (pod) => orNull(await contract.getFunction('deviceOf')(pod)),
    deviceAt: async (pod, ms) => orNull(await contract.getFunction('deviceAt')(pod, ms)),
    async historyOf(pod) {
      const rows = (await contract.getFunction('historyOf')(pod)) as readonly [unknown, bigint, bigint][];
      return rows.map((r) => ({ device: lower(r[0]), validFromMs: Number(r[1]), validToMs: Number(r[2]) }));
    },
    isDso: async (account) => Boolean(await contract.getFunction('isDso')(account)),
    setpointSigners: async () => ((await contract.getFunction('setpointSigners')()) as unknown[]).map(lower),
    async logs(fromBlock, toBlock) {
      const raw = await provider.getLogs({ address: addr, topics, fromBlock, toBlock });
      // getLogs answers in chain order (block, log index); sorting keeps that explicit.
      raw.sort((x, y) => x.blockNumber - y.blockNumber || x.index - y.index);
      const out: RegistryLog[] = [];
      for (const l of raw) {
        const e = decodeRegistryLog(l);
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
        const revert = decodeRegistryRevert(err);
        if (revert && err && typeof err === 'object' && !(err as { revert?: unknown }).revert) Object.assign(err, { revert });
        throw err;
      }
    },
    decodeRevert: decodeRegistryRevert,
  };
}
