/**
 * What a Modbus TCP client makes of the bytes it has received for its one pending request
 * (pure; the socket side is tcp-link.ts, the fuzzer in edge/fuzz drives this directly):
 * - `need-more`: no complete ADU yet;
 * - `skip`: a complete ADU of another transaction (a late answer of a timed-out request);
 * - `registers` or `error` (EDGE_MODBUS_FRAME / EDGE_MODBUS_EXCEPTION) for the pending request;
 * - `fatal`: not Modbus TCP or an absurd length; the stream cannot be resynchronised.
 */
import { LightNodeError } from '@lightnode/shared/errors';
import { FrameError, decodeResponsePdu, decodeTcp } from './frame.js';
import { exceptionError, type RequestContext } from './errors.js';

export type TcpAnswer =
  | { kind: 'need-more' }
  | { kind: 'skip'; consumed: number }
  | { kind: 'registers'; consumed: number; registers: number[] }
  | { kind: 'error'; consumed: number; error: LightNodeError }
  | { kind: 'fatal'; error: LightNodeError };

/** EDGE_MODBUS_FRAME: a malformed answer to the request in `ctx`. */
export function frameFailure(reason: string, ctx: RequestContext): LightNodeError {
  const where = `${ctx.line} unit ${ctx.unitId} FC${ctx.functionCode} ${ctx.address}+${ctx.count}`;
  return new LightNodeError('EDGE_MODBUS_FRAME', `${where}: malformed answer (${reason})`, { ...ctx, reason });
}

/** Judge the front of `buf` as the answer to transaction `transactionId` (request `ctx`). */
export function readTcpAnswer(buf: Uint8Array, transactionId: number, ctx: RequestContext): TcpAnswer {
  let adu: ReturnType<typeof decodeTcp>;
  try {
    adu = decodeTcp(buf);
  } catch (err) {
    return { kind: 'fatal', error: frameFailure(err instanceof FrameError ? err.reason : String(err), ctx) };
  }
  if (!adu) return { kind: 'need-more' };
  const consumed = adu.consumed;
  if (adu.transactionId !== transactionId) return { kind: 'skip', consumed };
  if (adu.unitId !== ctx.unitId) return { kind: 'error', consumed, error: frameFailure(`answer from unit ${adu.unitId}`, ctx) };
  try {
    const res = decodeResponsePdu(adu.pdu, adu.unitId);
    if (res.functionCode !== ctx.functionCode) {
      return { kind: 'error', consumed, error: frameFailure(`${res.kind === 'exception' ? 'exception' : 'answer'} for FC${res.functionCode}`, ctx) };
    }
    if (res.kind === 'exception') return { kind: 'error', consumed, error: exceptionError(res.exceptionCode, ctx) };
    return { kind: 'registers', consumed, registers: res.registers as number[] };
  } catch (err) {
    return { kind: 'error', consumed, error: frameFailure(err instanceof FrameError ? err.reason : String(err), ctx) };
  }
}
