/**
 * The one place where Modbus wire failures become typed errors (STYLE habit 7).
 * Codes: EDGE_MODBUS_TIMEOUT, EDGE_MODBUS_EXCEPTION (details.exceptionCode), EDGE_MODBUS_CRC,
 * EDGE_MODBUS_FRAME (malformed/short answer), EDGE_MODBUS_CONNECTION (cannot open or lost link).
 */
import { LightNodeError } from '@lightnode/shared/errors';

export interface RequestContext {
  line: string;
  unitId: number;
  functionCode: number;
  address: number;
  count: number;
}

const EXCEPTION_NAMES: Record<number, string> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'slave device failure',
  5: 'acknowledge',
  6: 'slave device busy',
  10: 'gateway path unavailable',
  11: 'gateway target failed to respond',
};

/** Builds the EDGE_MODBUS_EXCEPTION error for an exception response. */
export function exceptionError(exceptionCode: number, ctx: RequestContext): LightNodeError {
  const name = EXCEPTION_NAMES[exceptionCode] ?? 'unknown exception';
  return new LightNodeError('EDGE_MODBUS_EXCEPTION', `${ctx.line} unit ${ctx.unitId}: exception ${exceptionCode} (${name}) for FC${ctx.functionCode} ${ctx.address}+${ctx.count}`, {
    ...ctx,
    exceptionCode,
  });
}

const whereOf = (ctx: RequestContext): string => `${ctx.line} unit ${ctx.unitId} FC${ctx.functionCode} ${ctx.address}+${ctx.count}`;

/** Builds the EDGE_MODBUS_TIMEOUT error for a request that got no answer in time. */
export function timeoutError(ctx: RequestContext, cause?: unknown): LightNodeError {
  return new LightNodeError('EDGE_MODBUS_TIMEOUT', `${whereOf(ctx)}: no answer in time`, { ...ctx }, cause === undefined ? undefined : { cause });
}

/** Builds the EDGE_MODBUS_CONNECTION error for a link that cannot open, was closed or was lost. */
export function connectionError(reason: string, ctx: RequestContext, cause?: unknown): LightNodeError {
  return new LightNodeError('EDGE_MODBUS_CONNECTION', `${whereOf(ctx)}: link failure (${reason})`, { ...ctx, cause: reason }, cause === undefined ? undefined : { cause });
}

/** Maps whatever modbus-serial (or a socket) threw to a LightNodeError with a stable code. */
export function toModbusError(err: unknown, ctx: RequestContext): LightNodeError {
  if (err instanceof LightNodeError) return err;
  const e = err as { modbusCode?: unknown; errno?: unknown; code?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(err);
  if (typeof e?.modbusCode === 'number') return exceptionError(e.modbusCode, ctx);
  const where = whereOf(ctx);
  if (e?.errno === 'ETIMEDOUT' || message === 'Timed out') return timeoutError(ctx, err);
  if (/CRC/i.test(message)) return new LightNodeError('EDGE_MODBUS_CRC', `${where}: CRC error in answer`, { ...ctx }, { cause: err });
  if (/length|unexpected|Data/i.test(message) && !/open/i.test(message)) {
    return new LightNodeError('EDGE_MODBUS_FRAME', `${where}: malformed answer (${message})`, { ...ctx }, { cause: err });
  }
  return connectionError(message, ctx, err);
}

/** Errors worth retrying on the same request (the device may answer next time). */
export function isTransient(err: LightNodeError): boolean {
  return err.code === 'EDGE_MODBUS_TIMEOUT' || err.code === 'EDGE_MODBUS_CRC' || err.code === 'EDGE_MODBUS_FRAME';
}
