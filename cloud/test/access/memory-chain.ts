/**
 * Test doubles for the data-access service: a DecisionCertifier that keeps the
 * SubscriptionRegistry's rules in memory (EIP-712 recovery, signer nonces, deadline, topic
 * provider, who signs which status, the transition table) and an AccessEnforcer that records
 * its calls. Used until the service tests run against anvil with the real registry.
 */
import { TypedDataEncoder, keccak256, toUtf8Bytes, verifyTypedData } from 'ethers';
import { LightNodeError } from '@lightnode/shared/errors';
import type { Hex } from '@lightnode/shared/hex';
import { TRANSITIONS } from '../../src/access/transitions.js';
import {
  STATUS_CODE, type AccessEnforcer, type CertifiedDecision, type CertifiedSubscription, type DecisionCertifier,
  type DecisionMessage, type SubscriptionAction, type SubscriptionStatus, type UserRole,
} from '../../src/access/types.js';

const ACTION_OF: Record<SubscriptionStatus, SubscriptionAction> = { requested: 'request', accepted: 'accept', refused: 'refuse', revoked: 'revoke', cancelled: 'cancel' };
const TYPES = {
  Decision: [
    { name: 'provider', type: 'address' }, { name: 'consumer', type: 'address' }, { name: 'topic', type: 'string' },
    { name: 'status', type: 'uint8' }, { name: 'nonce', type: 'uint256' }, { name: 'deadline', type: 'uint64' },
  ],
};

export class MemoryCertifier implements DecisionCertifier {
  readonly domain = { name: 'LightNode SubscriptionRegistry', version: '1', chainId: 31337, verifyingContract: `0x${'5a'.repeat(20)}` };
  readonly providers = new Map<string, Hex>();
  readonly nonces = new Map<string, bigint>();
  readonly subs = new Map<string, CertifiedSubscription>();
  readonly admins = new Set<string>();
  /** Every recorded decision, in order. */
  readonly log: DecisionMessage[] = [];
  block = 100;
  /** Make the next calls fail as an unreachable chain. */
  down = false;

  constructor(private readonly nowSec: () => number) {}

  /** A copy of everything the chain holds, to compare before and after a refusal. */
  snapshot(): string {
    return JSON.stringify({ p: [...this.providers], n: [...this.nonces].map(([k, v]) => [k, String(v)]), s: [...this.subs], l: this.log.length });
  }

  async setTopicProvider(topic: string, provider: Hex): Promise<CertifiedDecision | null> {
    this.check();
    if (this.providers.get(topic) === provider) return null;
    this.providers.set(topic, provider);
    return this.mine();
  }

  async nonceOf(signer: Hex): Promise<bigint> { this.check(); return this.nonces.get(signer.toLowerCase()) ?? 0n; }

  async record(d: DecisionMessage, signature: Hex): Promise<CertifiedDecision> {
    this.check();
    const refuse = (why: string): never => { throw new LightNodeError('BAL_ACCESS_CHAIN_REFUSED', `SubscriptionRegistry: ${why}`); };
    const td = this.typedData(d);
    const signer = verifyTypedData(td.domain, TYPES, td.message, signature).toLowerCase();
    if (d.deadline < this.nowSec()) refuse('DeadlinePassed');
    if ((this.nonces.get(signer) ?? 0n) !== d.nonce) refuse('BadNonce');
    if (this.providers.get(d.topic) !== d.provider.toLowerCase()) refuse('NotTopicProvider');
    if (d.provider.toLowerCase() === d.consumer.toLowerCase()) refuse('SelfSubscription');
    const consumerSigns = d.status === 'requested' || d.status === 'cancelled';
    const okSigner = consumerSigns ? signer === d.consumer.toLowerCase() : signer === d.provider.toLowerCase() || this.admins.has(signer);
    if (!okSigner) refuse('WrongSigner');
    const key = `${d.provider}|${d.consumer}|${d.topic}`.toLowerCase();
    const cur = this.subs.get(key);
    if (TRANSITIONS[ACTION_OF[d.status]][cur?.status ?? 'none'] !== d.status) refuse('TransitionInvalid');
    this.nonces.set(signer, d.nonce + 1n);
    const mined = this.mine();
    this.subs.set(key, { provider: d.provider.toLowerCase() as Hex, consumer: d.consumer.toLowerCase() as Hex, topic: d.topic, status: d.status, createdAtSec: cur?.createdAtSec ?? mined.timestampSec, updatedAtSec: mined.timestampSec, transaction: mined.transaction, block: mined.block });
    this.log.push(d);
    return mined;
  }

  async certifiedOfTopic(topic: string): Promise<CertifiedSubscription[]> {
    this.check();
    return [...this.subs.values()].filter((s) => s.topic === topic);
  }

  typedData(d: DecisionMessage) {
    return {
      domain: { ...this.domain }, types: TYPES, primaryType: 'Decision' as const,
      message: { provider: d.provider, consumer: d.consumer, topic: d.topic, status: STATUS_CODE[d.status], nonce: d.nonce, deadline: d.deadline },
    };
  }

  /** The digest a wallet signs (to check typed data against ethers). */
  digest(d: DecisionMessage): string { return TypedDataEncoder.hash(this.domain, TYPES, this.typedData(d).message); }

  private check(): void { if (this.down) throw new Error('connect ECONNREFUSED 127.0.0.1:8545'); }

  private mine(): CertifiedDecision {
    this.block += 1;
    return { transaction: keccak256(toUtf8Bytes(`tx-${this.block}`)) as Hex, block: this.block, timestampSec: this.nowSec() };
  }
}

export class RecordingEnforcer implements AccessEnforcer {
  readonly calls: string[] = [];
  readonly grants = new Set<string>();
  readonly users = new Map<string, { role: UserRole; enabled: boolean; password?: string }>();
  async upsertUser(u: { username: string; role: UserRole; password?: string; enabled: boolean }): Promise<void> {
    this.calls.push(`upsert ${u.username} ${u.enabled}`);
    const prev = this.users.get(u.username);
    this.users.set(u.username, { role: u.role, enabled: u.enabled, ...(u.password ?? prev?.password ? { password: u.password ?? prev!.password! } : {}) });
  }
  async grant(username: string, topic: string): Promise<void> { this.calls.push(`grant ${username} ${topic}`); this.grants.add(`${username} ${topic}`); }
  async revoke(username: string, topic: string): Promise<void> { this.calls.push(`revoke ${username} ${topic}`); this.grants.delete(`${username} ${topic}`); }
  async reconcile(grants: readonly { username: string; topic: string }[]): Promise<void> {
    this.grants.clear();
    for (const g of grants) this.grants.add(`${g.username} ${g.topic}`);
  }
  async close(): Promise<void> {}
}
