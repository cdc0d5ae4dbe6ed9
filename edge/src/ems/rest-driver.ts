/**
 * EMS over REST (the lab EMS API, hardware-sim ems-rest.ts): `PUT {url}/setpoint` with
 * `{mode, setpointW}`; `GET {url}/setpoint` returns what the EMS holds `{mode, setpointW, …}`.
 * `url` is the EMS base, e.g. `http://192.168.1.20:8080/ems`. Errors become EDGE_EMS_* codes here.
 */
import { LightNodeError } from '@lightnode/shared/errors';
import type { SetpointMode } from '@lightnode/shared/setpoint';
import { MODE_CODES, type EmsDriver, type EmsState } from './driver.js';

/** Parse an EMS state document `{mode, setpointW}` (REST body, MQTT state). Throws EDGE_EMS_READBACK_INVALID. */
export function parseEmsState(x: unknown): EmsState {
  const s = x as { mode?: unknown; setpointW?: unknown } | null;
  if (!s || typeof s.mode !== 'string' || !(s.mode in MODE_CODES) || typeof s.setpointW !== 'number' || !Number.isSafeInteger(s.setpointW)) {
    throw new LightNodeError('EDGE_EMS_READBACK_INVALID', 'EMS state: expected {mode: off|limit|target, setpointW: integer}');
  }
  return { mode: s.mode as SetpointMode, activePowerW: s.setpointW };
}

export class RestEmsDriver implements EmsDriver {
  constructor(private readonly cfg: { url: string; timeoutMs: number }) {}

  async #call(method: string, body?: unknown): Promise<unknown> {
    const url = `${this.cfg.url.replace(/\/$/, '')}/setpoint`;
    let res: Response;
    try {
      res = await fetch(url, {
        method, signal: AbortSignal.timeout(this.cfg.timeoutMs),
        ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
      });
    } catch (err) {
      const timeout = (err as Error).name === 'TimeoutError';
      throw new LightNodeError(timeout ? 'EDGE_EMS_TIMEOUT' : 'EDGE_EMS_UNREACHABLE', `EMS ${method} ${url}: ${(err as Error).message}`);
    }
    const doc = await res.json().catch(() => null);
    if (!res.ok) {
      const code = (doc as { code?: unknown } | null)?.code;
      throw new LightNodeError('EDGE_EMS_EXCEPTION', `EMS ${method} ${url}: HTTP ${res.status}${typeof code === 'string' ? ` (${code})` : ''}`, { status: res.status });
    }
    return doc;
  }

  async apply(cmd: { mode: SetpointMode; activePowerW: number }): Promise<void> {
    await this.#call('PUT', { mode: cmd.mode, setpointW: cmd.activePowerW });
  }

  async readback(): Promise<EmsState> {
    return parseEmsState(await this.#call('GET'));
  }

  async close(): Promise<void> {}
}
