/**
 * verifyReceipt: checks a reading receipt (DESIGN §6) with nothing but an Ethereum JSON-RPC
 * endpoint — no BAL, no database, no artifacts of ours. Every check is reported, each with
 * why it holds or fails; `ok` is true only when all of them hold.
 */
import { AbiCoder, Contract, FetchRequest, JsonRpcProvider, ZeroHash, getAddress, keccak256 } from 'ethers';
import { VERIFY_READING_REASONS, podRegistryAbi, readingAnchorAbi } from './receipt-abi.js';
import { checkDigest, checkInclusion, checkSignature, checkWindow, receiptShapeProblem } from './offline-checks.js';
import type { ReceiptCheck, ReceiptLike, VerifyResult } from './receipt-types.js';
import { checkCimOnChainInclusion, checkCimServerRegistered, cimOfflineChecks, isCimReceipt } from './cim-checks.js';

export type { ReceiptCheck, VerifyResult } from './receipt-types.js';

export interface VerifyOptions {
  /** JSON-RPC endpoint of the chain the receipt claims (http/https). */
  rpcUrl: string;
  /** Per-request timeout in ms; default 10000. */
  timeoutMs?: number;
  /**
   * The DSO's published contract addresses. Without them a receipt naming look-alike contracts
   * someone else deployed on the same chain would be self-consistent; with them it fails.
   */
  expect?: { readingAnchor?: string; podRegistry?: string; dataServerRegistry?: string };
}

interface AnchoredLog { index: bigint; root: string; leafCount: bigint; fromMs: bigint; toMs: bigint; prevHash: string; anchorHash: string; blockNumber: number }

/** Verify a parsed receipt JSON; never throws for a bad receipt or an unreachable chain. */
export async function verifyReceipt(receipt: unknown, opts: VerifyOptions): Promise<VerifyResult> {
  const checks: ReceiptCheck[] = [];
  const shape = receiptShapeProblem(receipt);
  if (shape) return done([{ name: 'receipt-format', ok: false, detail: shape }]);
  const r = receipt as ReceiptLike;
  checks.push({ name: 'receipt-format', ok: true, detail: 'all fields present' });
  const cim = isCimReceipt(r) ? r : null;
  checks.push(checkDigest(r), ...(cim ? cimOfflineChecks(cim) : [checkSignature(r)]), checkInclusion(r), checkWindow(r));

  const req = new FetchRequest(opts.rpcUrl);
  req.timeout = opts.timeoutMs ?? 10_000;
  let chainId: number;
  try {
    chainId = await rawChainId(opts.rpcUrl, req.timeout);
  } catch (err) {
    checks.push({ name: 'chain-reachable', ok: false, detail: `${opts.rpcUrl}: ${(err as Error).message}` });
    return done(checks);
  }
  checks.push({
    name: 'chain-id',
    ok: chainId === r.chainId,
    detail: chainId === r.chainId ? `chain ${chainId}` : `endpoint is chain ${chainId}, receipt says ${r.chainId}`,
  });
  const provider = new JsonRpcProvider(req, chainId, { staticNetwork: true });
  try {
    const registry = new Contract(getAddress(r.contracts.podRegistry), podRegistryAbi, provider);
    const anchorC = new Contract(getAddress(r.contracts.readingAnchor), readingAnchorAbi, provider);
    checks.push(await checkContracts(anchorC, r, opts.expect));
    checks.push(cim ? await checkCimServerRegistered(provider, cim, opts.expect?.dataServerRegistry) : await checkSignerRegistered(registry, r));
    const { check: txCheck, log } = await checkAnchorTransaction(provider, anchorC, r);
    checks.push(txCheck);
    checks.push(await checkAnchorState(anchorC, r));
    checks.push(await checkAnchorLink(anchorC, r, log));
    checks.push(cim ? await checkCimOnChainInclusion(anchorC, r) : await checkOnChainView(anchorC, r));
  } finally {
    provider.destroy();
  }
  return done(checks);
}

function done(checks: ReceiptCheck[]): VerifyResult {
  return { ok: checks.length > 0 && checks.every((c) => c.ok), checks };
}

/** eth_chainId by hand, so an unreachable endpoint fails fast instead of ethers' retry loop. */
async function rawChainId(rpcUrl: string, timeoutMs: number): Promise<number> {
  const res = await fetch(rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = (await res.json()) as { result?: string; error?: { message: string } };
  if (!body.result) throw new Error(body.error?.message ?? `HTTP ${res.status}`);
  return Number(BigInt(body.result));
}

/** The ReadingAnchor is bound to the receipt's PodRegistry, and both are the expected ones when pinned. */
async function checkContracts(anchorC: Contract, r: ReceiptLike, expect: VerifyOptions['expect']): Promise<ReceiptCheck> {
  const name = 'contracts';
  try {
    const bound = String(await anchorC.getFunction('podRegistry')()).toLowerCase();
    const reg = r.contracts.podRegistry.toLowerCase();
    const anc = r.contracts.readingAnchor.toLowerCase();
    if (bound !== reg) return { name, ok: false, detail: `ReadingAnchor ${anc} checks signers against ${bound}, not the receipt's PodRegistry ${reg}` };
    if (expect?.readingAnchor && expect.readingAnchor.toLowerCase() !== anc) return { name, ok: false, detail: `receipt names ReadingAnchor ${anc}, expected ${expect.readingAnchor.toLowerCase()}` };
    if (expect?.podRegistry && expect.podRegistry.toLowerCase() !== reg) return { name, ok: false, detail: `receipt names PodRegistry ${reg}, expected ${expect.podRegistry.toLowerCase()}` };
    const pinned = Boolean(expect?.readingAnchor || expect?.podRegistry);
    return { name, ok: true, detail: `ReadingAnchor ${anc} is bound to PodRegistry ${reg}${pinned ? ' (the expected contracts)' : ' (not pinned: pass the DSO\'s addresses to rule out look-alike contracts)'}` };
  } catch (err) {
    return { name, ok: false, detail: `ReadingAnchor.podRegistry() failed: ${shortError(err)} (is ${r.contracts.readingAnchor} a ReadingAnchor?)` };
  }
}

/** The PoD's registered device at the reading's timestamp (registry history) is the signer. */
async function checkSignerRegistered(registry: Contract, r: ReceiptLike): Promise<ReceiptCheck> {
  const name = 'signer-registered';
  try {
    const device = String(await registry.getFunction('deviceAt')(r.reading.pod, BigInt(r.reading.timestamp))).toLowerCase();
    const signer = r.signer.toLowerCase();
    if (device === signer) return { name, ok: true, detail: `${signer} was ${r.reading.pod}'s device at ${new Date(r.reading.timestamp).toISOString()}` };
    if (/^0x0{40}$/.test(device)) return { name, ok: false, detail: `${r.reading.pod} had no active device at ${new Date(r.reading.timestamp).toISOString()} (unregistered or revoked)` };
    return { name, ok: false, detail: `${r.reading.pod}'s device at that time was ${device}, not ${signer}` };
  } catch (err) {
    return { name, ok: false, detail: `deviceAt failed: ${shortError(err)}` };
  }
}

function parseAnchored(anchorC: Contract, log: { topics: readonly string[]; data: string; blockNumber: number }): AnchoredLog | null {
  const parsed = anchorC.interface.parseLog({ topics: [...log.topics], data: log.data });
  if (!parsed || parsed.name !== 'Anchored') return null;
  const a = parsed.args;
  return { index: a[0], root: String(a[1]).toLowerCase(), leafCount: a[2], fromMs: a[3], toMs: a[4], prevHash: String(a[5]).toLowerCase(), anchorHash: String(a[6]).toLowerCase(), blockNumber: log.blockNumber };
}

/** The anchor transaction exists, succeeded, sits in the named block and emitted the named Anchored event. */
async function checkAnchorTransaction(provider: JsonRpcProvider, anchorC: Contract, r: ReceiptLike): Promise<{ check: ReceiptCheck; log: AnchoredLog | null }> {
  const name = 'anchor-transaction';
  try {
    const txr = await provider.getTransactionReceipt(r.anchor.transaction);
    if (!txr) return { check: { name, ok: false, detail: `transaction ${r.anchor.transaction} not found on chain` }, log: null };
    if (txr.status !== 1) return { check: { name, ok: false, detail: 'anchor transaction reverted' }, log: null };
    if (txr.blockNumber !== r.anchor.blockNumber) return { check: { name, ok: false, detail: `transaction is in block ${txr.blockNumber}, receipt says ${r.anchor.blockNumber}` }, log: null };
    const target = r.contracts.readingAnchor.toLowerCase();
    const logs = txr.logs
      .filter((l) => l.address.toLowerCase() === target)
      .map((l) => { try { return parseAnchored(anchorC, l); } catch { return null; } })
      .filter((l): l is AnchoredLog => l !== null);
    const log = logs.find((l) => l.index === BigInt(r.anchor.index));
    if (!log) return { check: { name, ok: false, detail: `no Anchored(index ${r.anchor.index}) event from ${target} in that transaction` }, log: null };
    const diffs = anchorDiffs(log, r);
    if (diffs.length) return { check: { name, ok: false, detail: `Anchored event differs: ${diffs.join('; ')}` }, log };
    return { check: { name, ok: true, detail: `Anchored #${r.anchor.index} in block ${txr.blockNumber}, ${r.anchor.leafCount} leaves, window ${r.anchor.fromMs}..${r.anchor.toMs}` }, log };
  } catch (err) {
    return { check: { name, ok: false, detail: shortError(err) }, log: null };
  }
}

function anchorDiffs(log: AnchoredLog, r: ReceiptLike): string[] {
  const diffs: string[] = [];
  if (log.root !== r.anchor.root.toLowerCase()) diffs.push(`root ${log.root} ≠ ${r.anchor.root}`);
  if (log.leafCount !== BigInt(r.anchor.leafCount)) diffs.push(`leafCount ${log.leafCount} ≠ ${r.anchor.leafCount}`);
  if (log.fromMs !== BigInt(r.anchor.fromMs) || log.toMs !== BigInt(r.anchor.toMs)) diffs.push(`window ${log.fromMs}..${log.toMs} ≠ ${r.anchor.fromMs}..${r.anchor.toMs}`);
  if (log.prevHash !== String(r.anchor.prevHash).toLowerCase()) diffs.push(`prevHash ${log.prevHash} ≠ ${r.anchor.prevHash}`);
  return diffs;
}

/**
 * The contract's own record of the anchor (getAnchor) holds the receipt's root, leaf count,
 * window, prevHash and block, and its anchorHash is keccak256(abi.encode(prevHash, root,
 * leafCount, fromMs, toMs)) — so the hash chain is recomputed here, not taken on trust.
 */
async function checkAnchorState(anchorC: Contract, r: ReceiptLike): Promise<ReceiptCheck> {
  const name = 'anchor-state';
  try {
    const count = BigInt(await anchorC.getFunction('anchorCount')());
    if (BigInt(r.anchor.index) >= count) return { name, ok: false, detail: `ReadingAnchor holds only ${count} anchor(s), no #${r.anchor.index}` };
    const a = await anchorC.getFunction('getAnchor')(BigInt(r.anchor.index));
    const stored: AnchoredLog = { index: BigInt(r.anchor.index), root: String(a.root).toLowerCase(), leafCount: BigInt(a.leafCount), fromMs: BigInt(a.fromMs), toMs: BigInt(a.toMs), prevHash: String(a.prevHash).toLowerCase(), anchorHash: String(a.anchorHash).toLowerCase(), blockNumber: Number(a.blockNumber) };
    const diffs = anchorDiffs(stored, r);
    if (stored.blockNumber !== r.anchor.blockNumber) diffs.push(`recorded in block ${stored.blockNumber} ≠ ${r.anchor.blockNumber}`);
    const recomputed = keccak256(AbiCoder.defaultAbiCoder().encode(['bytes32', 'bytes32', 'uint32', 'uint64', 'uint64'], [stored.prevHash, stored.root, stored.leafCount, stored.fromMs, stored.toMs])).toLowerCase();
    if (recomputed !== stored.anchorHash) diffs.push(`stored anchorHash ${stored.anchorHash} ≠ recomputed ${recomputed}`);
    if (diffs.length) return { name, ok: false, detail: `getAnchor(${r.anchor.index}) differs: ${diffs.join('; ')}` };
    return { name, ok: true, detail: `getAnchor(${r.anchor.index}) matches (of ${count}); anchorHash ${stored.anchorHash} recomputes` };
  } catch (err) {
    return { name, ok: false, detail: `getAnchor failed: ${shortError(err)}` };
  }
}

/** prevHash is the previous anchor's hash (zero for the first anchor): the chain of anchors is unbroken. */
async function checkAnchorLink(anchorC: Contract, r: ReceiptLike, log: AnchoredLog | null): Promise<ReceiptCheck> {
  const name = 'anchor-link';
  const prev = String(r.anchor.prevHash).toLowerCase();
  if (r.anchor.index === 0) {
    const ok = prev === ZeroHash;
    return { name, ok, detail: ok ? 'first anchor, prevHash is zero' : `first anchor must have zero prevHash, found ${prev}` };
  }
  try {
    const filter = anchorC.filters.Anchored!(BigInt(r.anchor.index - 1));
    const events = await anchorC.queryFilter(filter, 0, log?.blockNumber ?? r.anchor.blockNumber);
    const found = events.map((e) => parseAnchored(anchorC, e)).find((e) => e !== null);
    if (!found) return { name, ok: false, detail: `previous anchor #${r.anchor.index - 1} not found on chain` };
    const ok = found.anchorHash === prev;
    return { name, ok, detail: ok ? `links to anchor #${r.anchor.index - 1} (${found.anchorHash})` : `previous anchor's hash is ${found.anchorHash}, receipt's prevHash is ${prev}` };
  } catch (err) {
    return { name, ok: false, detail: `cannot read previous anchor: ${shortError(err)}` };
  }
}

/**
 * Second opinion from the contract itself: ReadingAnchor.verifyReading recomputes digest,
 * signer, historic binding and inclusion in Solidity — an implementation independent of ethers.
 */
async function checkOnChainView(anchorC: Contract, r: ReceiptLike): Promise<ReceiptCheck> {
  const name = 'contract-verify';
  try {
    const { signature, ...reading } = r.reading;
    const [ok, reason] = (await anchorC.getFunction('verifyReading')(reading, signature, BigInt(r.anchor.index), r.proof)) as [boolean, bigint];
    const label = VERIFY_READING_REASONS[Number(reason)] ?? `reason ${reason}`;
    return { name, ok: Boolean(ok), detail: ok ? 'ReadingAnchor.verifyReading: Ok' : `ReadingAnchor.verifyReading refuses: ${label}` };
  } catch (err) {
    return { name, ok: false, detail: `verifyReading failed: ${shortError(err)}` };
  }
}

function shortError(err: unknown): string {
  const e = err as { shortMessage?: string; message?: string };
  return e.shortMessage ?? e.message ?? String(err);
}
