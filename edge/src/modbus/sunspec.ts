/**
 * SunSpec model-chain discovery (SunSpec Information Model Specification §4): find the "SunS"
 * marker (0x5375 0x6E53) at one of the well-known bases, then walk the chain of models
 * (ID, L, L registers) until ID 0xFFFF. Pure apart from the injected `read` function, so the
 * same walk runs against a real device, a simulator or a register array in a test.
 */
import { LightNodeError } from '@lightnode/shared/errors';

/** Reads `count` holding registers (FC03) starting at `address`. */
export type HoldingReader = (address: number, count: number) => Promise<ArrayLike<number>>;

export interface SunSpecModel {
  /** Model ID (1 = Common, 203 = wye meter, 213 = float wye meter, …). */
  readonly id: number;
  /** Address of the model's ID register. */
  readonly address: number;
  /** L: number of registers after the ID and L registers. */
  readonly length: number;
}

export interface SunSpecChain {
  /** Address of the "SunS" marker. */
  readonly base: number;
  readonly models: readonly SunSpecModel[];
}

/** The bases the SunSpec spec allows, in the order devices most often use them. */
export const SUNSPEC_BASES: readonly number[] = [40000, 0, 50000];
export const SUNSPEC_MARKER = [0x5375, 0x6e53] as const;
const END_ID = 0xffff;
/** Guard against hostile or broken chains that never end. */
const MAX_MODELS = 64;

/** True when the error from `read` means "nothing at this address" rather than a dead link. */
export type IsAbsent = (err: unknown) => boolean;

const exceptionOf = (err: unknown): number | undefined =>
  (err instanceof LightNodeError && err.code === 'EDGE_MODBUS_EXCEPTION' ? (err.details.exceptionCode as number | undefined) : undefined);

/**
 * "Not here" answers: illegal function (1), illegal data address (2), illegal data value (3).
 * Server device failure (4), acknowledge (5) and busy (6) say nothing about the address: they
 * are retried, then reported as what they are (`EDGE_SUNSPEC_DEVICE_FAILURE` / `_BUSY`).
 */
const defaultIsAbsent: IsAbsent = (err) => { const x = exceptionOf(err); return x === 1 || x === 2 || x === 3; };

/** Exception codes that mean "the device cannot answer now", retried during discovery. */
const BUSY = new Set([5, 6]);
const FAILURE = 4;

export interface DiscoveryOptions {
  /** Which errors mean "no marker at this base" (default: exceptions 1, 2, 3). */
  isAbsent?: IsAbsent;
  /** Tries per read while the device answers busy (5, 6) or device failure (4); default 3. */
  attempts?: number;
  /** Wait before the first retry, doubled for each next one; ms, default 100. */
  backoffMs?: number;
  /** Default: a real timer. */
  sleep?: (ms: number) => Promise<void>;
  /** Called before each retry (metrics). */
  onRetry?: (err: LightNodeError, attempt: number) => void;
}

const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Finds the marker and walks the chain. Throws `EDGE_SUNSPEC_NOT_FOUND` when no base holds the
 * marker and `EDGE_SUNSPEC_CHAIN_INVALID` for a chain that overruns the address space, loops
 * or exceeds 64 models. A read answered with exception 5/6 (busy) or 4 (device failure) is
 * retried (`attempts`, backoff from `backoffMs` doubling); still refused, it throws
 * `EDGE_SUNSPEC_DEVICE_BUSY` / `EDGE_SUNSPEC_DEVICE_FAILURE` — at a base, only once no other base
 * holds the marker. Timeouts and other link errors from `read` propagate unchanged.
 */
export async function discoverSunSpec(read: HoldingReader, bases: readonly number[] = SUNSPEC_BASES, opts: DiscoveryOptions = {}): Promise<SunSpecChain> {
  const isAbsent = opts.isAbsent ?? defaultIsAbsent;
  const patient = patientReader(read, opts);
  let refused: LightNodeError | undefined;
  for (const base of bases) {
    let marker: ArrayLike<number>;
    try {
      marker = await patient(base, 2);
    } catch (err) {
      if (isAbsent(err)) continue;
      if (isRefusal(err)) { refused ??= err; continue; }
      throw err;
    }
    if (marker[0] !== SUNSPEC_MARKER[0] || marker[1] !== SUNSPEC_MARKER[1]) continue;
    return { base, models: await walkChain(patient, base) };
  }
  if (refused) throw refused;
  throw new LightNodeError('EDGE_SUNSPEC_NOT_FOUND', `no SunSpec marker at ${bases.join(', ')}`, { bases: [...bases] });
}

const isRefusal = (err: unknown): err is LightNodeError =>
  err instanceof LightNodeError && (err.code === 'EDGE_SUNSPEC_DEVICE_BUSY' || err.code === 'EDGE_SUNSPEC_DEVICE_FAILURE');

/** `read` retried on busy / device failure answers; the last such answer becomes its SunSpec code. */
function patientReader(read: HoldingReader, opts: DiscoveryOptions): HoldingReader {
  const attempts = Math.max(1, opts.attempts ?? 3);
  const backoffMs = opts.backoffMs ?? 100;
  const sleep = opts.sleep ?? realSleep;
  return async (address, count) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await read(address, count);
      } catch (err) {
        const x = exceptionOf(err);
        if (x === undefined || (x !== FAILURE && !BUSY.has(x))) throw err;
        const e = err as LightNodeError;
        if (attempt >= attempts) {
          const busy = BUSY.has(x);
          throw new LightNodeError(busy ? 'EDGE_SUNSPEC_DEVICE_BUSY' : 'EDGE_SUNSPEC_DEVICE_FAILURE',
            `SunSpec discovery: the device answered ${busy ? 'busy' : 'device failure'} (exception ${x}) at ${address}+${count} ${attempts} times`,
            { address, count, exceptionCode: x, attempts }, { cause: e });
        }
        opts.onRetry?.(e, attempt);
        await sleep(backoffMs * 2 ** (attempt - 1));
      }
    }
  };
}

async function walkChain(read: HoldingReader, base: number): Promise<SunSpecModel[]> {
  const models: SunSpecModel[] = [];
  let address = base + 2;
  for (;;) {
    if (address + 2 > 0x10000) throw chainError('chain runs past register 65535', address);
    const head = await read(address, 2);
    const id = head[0];
    const length = head[1];
    if (id === undefined || length === undefined) throw chainError('short read of model header', address);
    if (id === END_ID) return models;
    if (models.length >= MAX_MODELS) throw chainError(`more than ${MAX_MODELS} models`, address);
    if (address + 2 + length > 0x10000) throw chainError(`model ${id} length ${length} runs past register 65535`, address);
    models.push({ id, address, length });
    address += 2 + length;
  }
}

function chainError(reason: string, address: number): LightNodeError {
  return new LightNodeError('EDGE_SUNSPEC_CHAIN_INVALID', `SunSpec chain invalid at ${address}: ${reason}`, { address, reason });
}

/**
 * The first model of the chain whose ID is in `ids` (in the order of `ids`), with at least
 * `minLength` registers, or throws `EDGE_SUNSPEC_MODEL_MISSING`.
 */
export function findModel(chain: SunSpecChain, ids: readonly number[], minLength = 0): SunSpecModel {
  for (const id of ids) {
    const m = chain.models.find((x) => x.id === id);
    if (m && m.length >= minLength) return m;
  }
  throw new LightNodeError('EDGE_SUNSPEC_MODEL_MISSING', `SunSpec model ${ids.join('/')} (L >= ${minLength}) not in chain [${chain.models.map((m) => m.id).join(', ')}]`, {
    wanted: [...ids],
    found: chain.models.map((m) => m.id),
  });
}
