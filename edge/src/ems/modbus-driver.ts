/**
 * EMS over Modbus TCP (modbus-serial): mode in one holding register (0 off, 1 limit, 2 target),
 * the power setpoint as a signed 32-bit integer in two holding registers (most significant word
 * first, W) — the lab EMS map (hardware-sim devices/ems.json). Addresses come from config
 * (`ems.modbus.*`). The setpoint is written as a whole int32 (FC16), then the mode (FC06).
 */
import ModbusRTU from 'modbus-serial';
import { LightNodeError } from '@lightnode/shared/errors';
import type { EmsModbusConfig } from '../config.js';
import { MODE_CODES, modeFromCode, type EmsDriver, type EmsState } from './driver.js';

function toWords(v: number): [number, number] {
  const u = v < 0 ? v + 2 ** 32 : v;
  return [Math.floor(u / 65536) & 0xffff, u & 0xffff];
}
function fromWords(hi: number, lo: number): number {
  const u = hi * 65536 + lo;
  return u >= 2 ** 31 ? u - 2 ** 32 : u;
}

export class ModbusEmsDriver implements EmsDriver {
  readonly #client = new ModbusRTU();
  #connected: Promise<void> | undefined;

  constructor(private readonly cfg: EmsModbusConfig) {}

  async #ensure(): Promise<ModbusRTU> {
    if (!this.#connected || !this.#client.isOpen) {
      this.#connected = (async () => {
        await this.#client.connectTCP(this.cfg.host, { port: this.cfg.port });
        this.#client.setID(this.cfg.unitId);
        this.#client.setTimeout(this.cfg.timeoutMs);
      })();
    }
    try {
      await this.#connected;
    } catch (err) {
      this.#connected = undefined;
      throw new LightNodeError('EDGE_EMS_UNREACHABLE', `EMS ${this.cfg.host}:${this.cfg.port} unreachable (${(err as Error).message})`);
    }
    return this.#client;
  }

  async #io<T>(what: string, fn: (c: ModbusRTU) => Promise<T>): Promise<T> {
    const c = await this.#ensure();
    try {
      return await fn(c);
    } catch (err) {
      const e = err as { modbusCode?: number; message?: string; name?: string };
      if (e.modbusCode !== undefined) throw new LightNodeError('EDGE_EMS_EXCEPTION', `EMS ${what}: Modbus exception ${e.modbusCode}`, { modbusCode: e.modbusCode });
      if (/timed out/i.test(e.message ?? '')) throw new LightNodeError('EDGE_EMS_TIMEOUT', `EMS ${what}: timeout`);
      this.#connected = undefined;
      throw new LightNodeError('EDGE_EMS_IO', `EMS ${what}: ${e.message ?? String(err)}`);
    }
  }

  async apply(cmd: { mode: keyof typeof MODE_CODES; activePowerW: number }): Promise<void> {
    const { modeRegister, powerRegister } = this.cfg;
    await this.#io('write setpoint', async (c) => {
      // power first, then mode: the EMS never runs a new mode with the old power
      await c.writeRegisters(powerRegister, toWords(cmd.activePowerW));
      await c.writeRegister(modeRegister, MODE_CODES[cmd.mode]);
    });
  }

  async readback(): Promise<EmsState> {
    return this.#io('readback', async (c) => {
      const mode = (await c.readHoldingRegisters(this.cfg.readbackModeRegister, 1)).data[0]!;
      const p = (await c.readHoldingRegisters(this.cfg.readbackPowerRegister, 2)).data;
      const parsed = modeFromCode(mode);
      if (!parsed) throw new LightNodeError('EDGE_EMS_READBACK_INVALID', `EMS mode register holds ${mode}, not 0|1|2`);
      return { mode: parsed, activePowerW: fromWords(p[0]!, p[1]!) };
    });
  }

  async close(): Promise<void> {
    if (this.#client.isOpen) await new Promise<void>((r) => this.#client.close(() => r()));
  }
}
