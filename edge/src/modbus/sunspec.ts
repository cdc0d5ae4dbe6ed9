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

const defaultIsAbsent: IsAbsent = (err) => err instanceof LightNodeError && err.code === 'EDGE_MODBUS_EXCEPTION';

/**
 * Finds the marker and walks the chain. Throws `EDGE_SUNSPEC_NOT_FOUND` when no base holds the
 * marker and `EDGE_SUNSPEC_CHAIN_INVALID` for a chain that overruns the address space, loops
 * or exceeds 64 models. Timeouts and other link errors from `read` propagate unchanged.
 */
export async function discoverSunSpec(read: HoldingReader, bases: readonly number[] = SUNSPEC_BASES, isAbsent: IsAbsent = defaultIsAbsent): Promise<SunSpecChain> {
  for (const base of bases) {
    let marker: ArrayLike<number>;
    try {
      marker = await read(base, 2);
    } catch (err) {
      if (isAbsent(err)) continue;
      throw err;
    }
    if (marker[0] !== SUNSPEC_MARKER[0] || marker[1] !== SUNSPEC_MARKER[1]) continue;
    return { base, models: await walkChain(read, base) };
  }
  throw new LightNodeError('EDGE_SUNSPEC_NOT_FOUND', `no SunSpec marker at ${bases.join(', ')}`, { bases: [...bases] });
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
