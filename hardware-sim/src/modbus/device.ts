/**
 * What a Modbus transport needs from a simulated device, and the one place where the
 * transport-independent faults (silence, exception, delay) are applied to a request.
 */
import type { DeviceFaults } from '../faults.js';
import { decodeRequestPdu, encodeExceptionPdu, encodeResponsePdu, ModbusException, type ModbusRequest, type ModbusResponse } from './pdu.js';

/** A device reachable over Modbus under one slave id. */
export interface ModbusDevice {
  readonly id: string;
  /** Current faults (read on every request, so changes apply at once). */
  readonly faults: DeviceFaults;
  /** Serves a decoded request; throws ModbusException for exception responses. */
  handle(req: ModbusRequest): ModbusResponse;
}

/** Outcome of serving one request PDU: the response PDU, or silence. */
export interface ServeResult { pdu?: Uint8Array; corruptCrc: boolean; delayMs: number }

/** Serves one request PDU for `device` with its faults applied (undefined device = nobody home). */
export function serveModbus(device: ModbusDevice | undefined, reqPdu: Uint8Array): ServeResult {
  if (!device) return { corruptCrc: false, delayMs: 0 };
  const f = device.faults;
  const delayMs = f.delayMs ?? 0;
  if (f.timeout || f.offline) return { corruptCrc: false, delayMs };
  const fc = reqPdu[0] ?? 0;
  let pdu: Uint8Array;
  try {
    if (f.exception) {
      const code = f.exception;
      if (f.exceptionRequests !== undefined) {
        // A bounded exception fault counts itself down and clears (the device recovers).
        if (f.exceptionRequests <= 1) { f.exception = 0; delete f.exceptionRequests; } else f.exceptionRequests--;
      }
      throw new ModbusException(code, `injected exception ${code}`);
    }
    pdu = encodeResponsePdu(device.handle(decodeRequestPdu(reqPdu)));
  } catch (e) {
    // An unexpected error inside a device is a slave device failure, never a crashed server.
    pdu = encodeExceptionPdu(fc, e instanceof ModbusException ? e.exceptionCode : 4);
  }
  return { pdu, corruptCrc: f.corruptCrc ?? false, delayMs };
}
