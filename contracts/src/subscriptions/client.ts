/**
 * The ethers SubscriptionRegistry client (docs/data-access.md "On chain") for the BAL's data
 * access service: the topic admin's `setTopicProvider`, relaying signed decisions with `record`
 * (contract refusals become CONTRACTS_SUBSCRIPTION_* errors), the views, and the decision history
 * read back from DecisionRecorded logs. Built from the hand-kept ABI (./abi.ts), so it works
 * without the solc build.
 */
import { Contract, Interface, ZeroAddress, id, type ContractRunner, type ContractTransactionResponse, type Log, type Provider, type TransactionReceipt } from 'ethers';
import { LightNodeError, ValidationError } from '@lightnode/shared/errors';
import type { Eip712Domain } from '@lightnode/shared/eip712';
import { isHex, normalizeAddress, type Hex } from '@lightnode/shared/hex';
import { decodeCustomError, type DecodedRevert } from '../revert.js';
import { SUBSCRIPTION_REGISTRY_ABI } from './abi.js';
import { decisionStatusName, subscriptionDomain, type Decision, type DecisionStatusName } from './decision.js';
import { subscriptionError } from './errors.js';

/** Where a transaction of the registry landed. */
export interface CertifiedTx { transaction: Hex; block: number; timestampSec: number }

/** A subscription as the contract's views return it (addresses lower-case, chain seconds). */
export interface SubscriptionState {
  provider: Hex;
  consumer: Hex;
  topic: string;
  status: DecisionStatusName;
  createdAtSec: number;
  updatedAtSec: number;
}

/** One recorded decision, decoded from its DecisionRecorded log. */
export interface DecisionLog {
  key: Hex;
  provider: Hex;
  consumer: Hex;
  topic: string;
  status: DecisionStatusName;
  timestampSec: number;
  signer: Hex;
  transaction: Hex;
  block: number;
  logIndex: number;
}

/** The SubscriptionRegistry at one address; writes need a runner that is a connected Signer. */
export interface SubscriptionRegistryClient {
  /** Lower-case contract address. */
  readonly address: Hex;
  /** The ethers Interface of ./abi.ts. */
  readonly interface: Interface;
  /** The EIP-712 domain of the decisions (chain id asked of the provider once). */
  domain(): Promise<Eip712Domain>;
  /** Make `provider` the topic's provider (TOPIC_ADMIN_ROLE); null, and nothing sent, when it already is. */
  setTopicProvider(topic: string, provider: string): Promise<CertifiedTx | null>;
  /** Relay a signed decision and wait for it to be mined. Throws CONTRACTS_SUBSCRIPTION_* for a contract refusal. */
  record(decision: Decision, signature: string): Promise<CertifiedTx>;
  /** The signer's next decision nonce. */
  nonceOf(address: string): Promise<bigint>;
  /** The topic's provider, lower-case, or null for an unknown topic. */
  topicProviderOf(topic: string): Promise<Hex | null>;
  /** The subscription of `consumer` to `provider`'s `topic`, or null if there never was one. */
  subscriptionOf(provider: string, consumer: string, topic: string): Promise<SubscriptionState | null>;
  /** Every subscription of the topic, any status, in order of first request. */
  subscriptionsOfTopic(topic: string): Promise<SubscriptionState[]>;
  /** The topic's recorded decisions in blocks [fromBlock (default 0), toBlock (default latest)], in chain order. */
  decisionsOfTopic(topic: string, opts?: { fromBlock?: number; toBlock?: number }): Promise<DecisionLog[]>;
  /** The registry custom error carried by an ethers error, or null. */
  decodeRevert(err: unknown): DecodedRevert | null;
}

let sharedInterface: Interface | null = null;

/** The SubscriptionRegistry ethers Interface (built once per process from ./abi.ts). */
function subscriptionInterface(): Interface {
  sharedInterface ??= new Interface(SUBSCRIPTION_REGISTRY_ABI);
  return sharedInterface;
}

const lower = (a: unknown): Hex => String(a).toLowerCase() as Hex;

/** The view tuple `(provider, consumer, topic, status, createdAt, updatedAt)` as a SubscriptionState. */
function toState(t: readonly unknown[]): SubscriptionState {
  return {
    provider: lower(t[0]),
    consumer: lower(t[1]),
    topic: String(t[2]),
    status: decisionStatusName(Number(t[3])),
    createdAtSec: Number(t[4]),
    updatedAtSec: Number(t[5]),
  };
}

/** Client for the SubscriptionRegistry at `address`; `runner` is a Provider for reads or a connected Signer for writes. */
export function subscriptionRegistryClient(address: string, runner: ContractRunner): SubscriptionRegistryClient {
  const iface = subscriptionInterface();
  const addr = normalizeAddress(address, 'address', 'CONTRACTS_SUBSCRIPTION_DECISION_INVALID');
  const contract = new Contract(addr, iface, runner);
  const provider: Provider | null = runner.provider;
  if (!provider) throw new LightNodeError('CONTRACTS_REGISTRY_NO_PROVIDER', 'subscriptionRegistryClient: the runner is not connected to a provider', { address });
  const recordedTopic = iface.getEvent('DecisionRecorded')!.topicHash;
  let domain: Promise<Eip712Domain> | null = null;

  /** Send `fn(...args)`, wait for the receipt; registry refusals become coded errors, anything else is rethrown. */
  async function send(fn: 'setTopicProvider' | 'record', args: unknown[]): Promise<TransactionReceipt> {
    try {
      const tx = (await contract.getFunction(fn)(...args)) as ContractTransactionResponse;
      // wait() (one confirmation) throws for a reverted transaction and returns null only with 0 confirmations.
      return (await tx.wait())!;
    } catch (err) {
      const revert = decodeCustomError(iface, err);
      throw (revert && subscriptionError(fn, revert, err)) ?? err;
    }
  }

  async function landed(rc: TransactionReceipt): Promise<CertifiedTx> {
    const block = await provider!.getBlock(rc.blockNumber);
    return { transaction: lower(rc.hash), block: rc.blockNumber, timestampSec: block?.timestamp ?? 0 };
  }

  return {
    address: addr,
    interface: iface,
    domain() {
      domain ??= provider.getNetwork().then((n) => subscriptionDomain(Number(n.chainId), addr));
      return domain;
    },
    async setTopicProvider(topic, providerAddress) {
      const wanted = normalizeAddress(providerAddress, 'provider', 'CONTRACTS_SUBSCRIPTION_DECISION_INVALID');
      if ((await this.topicProviderOf(topic)) === wanted) return null;
      return landed(await send('setTopicProvider', [topic, wanted]));
    },
    async record(decision, signature) {
      // The contract judges the rules (status, topic, addresses, nonce, deadline, signer); ethers
      // refuses values it cannot encode. Only the signature's form is checked here.
      if (!isHex(signature)) throw new ValidationError('CONTRACTS_SUBSCRIPTION_DECISION_INVALID', 'signature', '0x-prefixed hex', signature);
      const { provider: p, consumer, topic, status, nonce, deadline } = decision;
      const rc = await send('record', [{ provider: p, consumer, topic, status, nonce, deadline }, signature]);
      const log = rc.logs.find((l) => l.topics[0] === recordedTopic && lower(l.address) === addr);
      const timestampSec = log ? Number(iface.parseLog(log)!.args[6]) : (await landed(rc)).timestampSec;
      return { transaction: lower(rc.hash), block: rc.blockNumber, timestampSec };
    },
    nonceOf: async (a) => BigInt(await contract.getFunction('nonces')(normalizeAddress(a, 'address', 'CONTRACTS_SUBSCRIPTION_DECISION_INVALID'))),
    async topicProviderOf(topic) {
      const p = lower(await contract.getFunction('topicProviderOf')(topic));
      return p === ZeroAddress ? null : p;
    },
    async subscriptionOf(p, c, topic) {
      const s = toState((await contract.getFunction('subscriptionOf')(p, c, topic)) as readonly unknown[]);
      return s.status === 'none' ? null : s;
    },
    subscriptionsOfTopic: async (topic) => ((await contract.getFunction('subscriptionsOfTopic')(topic)) as readonly (readonly unknown[])[]).map(toState),
    async decisionsOfTopic(topic, opts = {}) {
      const raw: Log[] = await provider.getLogs({
        address: addr,
        topics: [recordedTopic, null, id(topic)], // id = keccak256(utf8(topic)), the indexed topicHash
        fromBlock: opts.fromBlock ?? 0,
        toBlock: opts.toBlock ?? 'latest',
      });
      raw.sort((x, y) => x.blockNumber - y.blockNumber || x.index - y.index);
      return raw.map((l) => {
        const a = iface.parseLog(l)!.args;
        return {
          key: lower(a[0]),
          provider: lower(a[2]),
          consumer: lower(a[3]),
          topic: String(a[4]),
          status: decisionStatusName(Number(a[5])),
          timestampSec: Number(a[6]),
          signer: lower(a[7]),
          transaction: lower(l.transactionHash),
          block: l.blockNumber,
          logIndex: l.index,
        };
      });
    },
    decodeRevert: (err) => decodeCustomError(iface, err),
  };
}
