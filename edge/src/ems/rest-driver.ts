/**
 * EMS over REST: `PUT {url}/setpoint` with `{mode, activePowerW}`, `GET {url}/state` returning
 * `{mode, activePowerW, measuredPowerW?}`. Errors become EDGE_EMS_* codes here.
 */
import { LightNodeError } from '@lightnode/shared/errors';
import type { SetpointMode } from '@lightnode/shared/setpoint';
import { MODE_CODES, type EmsDriver, type EmsState } from './driver.js';

export class RestEmsDriver implements EmsDriver {
  constructor(private readonly cfg: { url: string; timeoutMs: number }) {}

  async #call(method: string, path: string, body?: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${this.cfg.url.replace(/\/$/, '')}${path}`, {
        method, signal: AbortSignal.timeout(this.cfg.timeoutMs),
        ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
      });
    } catch (err) {
      const timeout = (err as Error).name === 'TimeoutError';
      throw new LightNodeError(timeout ? 'EDGE_EMS_TIMEOUT' : 'EDGE_EMS_UNREACHABLE', `EMS ${method} ${path}: ${(err as Error).message}`);
    }
    if (!res.ok) throw new LightNodeError('EDGE_EMS_EXCEPTION', `EMS ${method} ${path}: HTTP ${res.status}`, { status: res.status });
    return res.status === 204 ? null : res.json().catch(() => null);
  }

  async apply(cmd: { mode: SetpointMode; activePowerW: number }): Promise<void> {
    await this.#call('PUT', '/setpoint', cmd);
  }

  async readback(): Promise<EmsState> {
    const s = (await this.#call('GET', '/state')) as Partial<EmsState> | null;
    if (!s || typeof s.mode !== 'string' || !(s.mode in MODE_CODES) || !Number.isSafeInteger(s.activePowerW)) {
      throw new LightNodeError('EDGE_EMS_READBACK_INVALID', 'EMS state: expected {mode, activePowerW}');
    }
    return { mode: s.mode, activePowerW: s.activePowerW!, ...(Number.isFinite(s.measuredPowerW) ? { measuredPowerW: s.measuredPowerW! } : {}) };
  }

  async close(): Promise<void> {}
}
