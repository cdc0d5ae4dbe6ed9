/**
 * A small Modbus TCP EMS stand-in (modbus-serial ServerTCP over a real socket) with the
 * register layout of the edge defaults: holding 0 = mode, holding 1..2 = power setpoint int32 W,
 * input 10..11 = measured net power int32 W. Used until/besides the hardware-sim lab EMS.
 */
import { ServerTCP } from 'modbus-serial';
import { freePort } from './broker.js';

export interface TestEms { port: number; holding: number[]; writes: number; close(): Promise<void> }

export async function startTestEms(loadW = 3000): Promise<TestEms> {
  const port = await freePort();
  const holding = new Array<number>(32).fill(0);
  const state = { writes: 0 };
  const measured = (): number => {
    const mode = holding[0];
    const p = ((holding[1]! << 16) | holding[2]!) | 0;
    return mode === 2 ? p : mode === 1 ? Math.min(loadW, p) : loadW;
  };
  const server = new ServerTCP({
    getHoldingRegister: (addr: number) => holding[addr] ?? 0,
    getInputRegister: (addr: number) => {
      const m = measured() >>> 0;
      return addr === 10 ? m >>> 16 : addr === 11 ? m & 0xffff : 0;
    },
    setRegister: (addr: number, value: number) => { holding[addr] = value; state.writes++; },
  }, { host: '127.0.0.1', port, unitID: 1 });
  await new Promise<void>((r) => server.on('initialized', () => r()));
  return {
    port, holding,
    get writes() { return state.writes; },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
