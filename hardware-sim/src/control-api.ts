/**
 * HTTP control API of a running lab (express): GET /lab, GET /devices/:id,
 * PUT /devices/:id/faults (replaces the faults), PUT /devices/:id/values (forces values),
 * GET /healthz, GET /metrics (Prometheus text). Errors are JSON `{ code, message, details }`.
 */
import type { Server } from 'node:http';
import express from 'express';
import { isLightNodeError } from '@lightnode/shared/errors';
import { jsonErrors, jsonNotFound, listenHttp, requireJsonBody } from './http-json.js';
import type { Lab } from './lab.js';

type Handler = (req: express.Request, res: express.Response) => unknown;

/** Turns LightNodeErrors into 400 (404 for an unknown device) with their code. */
function guarded(fn: Handler): Handler {
  return async (req, res) => {
    try {
      await fn(req, res);
    } catch (e) {
      if (!isLightNodeError(e)) throw e;
      res.status(e.code === 'SIM_DEVICE_UNKNOWN' ? 404 : 400).json(e.toJSON());
    }
  };
}

/** Starts the control API for `lab`. */
export function startControlApi(lab: Lab, port = 0, host = '127.0.0.1'): Promise<{ server: Server; url: string }> {
  const app = express();
  app.use(express.json({ limit: '64kb' }), requireJsonBody);
  app.get('/healthz', (_req, res) => { res.json({ ok: true }); });
  app.get('/lab', (_req, res) => { res.json(lab.describe()); });
  app.get('/devices/:id', guarded((req, res) => {
    const all = lab.describe().devices as Record<string, unknown>;
    if (!(String(req.params.id) in all)) return res.status(404).json({ code: 'SIM_DEVICE_UNKNOWN', message: `no device "${req.params.id}"` });
    res.json(all[String(req.params.id)]);
  }));
  app.put('/devices/:id/faults', guarded(async (req, res) => {
    await lab.setFault(String(req.params.id), req.body);
    res.json((lab.describe().devices as Record<string, unknown>)[String(req.params.id)]);
  }));
  app.put('/devices/:id/values', guarded(async (req, res) => {
    await lab.setValues(String(req.params.id), req.body ?? {});
    res.json((lab.describe().devices as Record<string, unknown>)[String(req.params.id)]);
  }));
  app.get('/metrics', (_req, res) => {
    const lines = ['# TYPE sim_devices gauge', `sim_devices ${lab.devices.size}`, '# TYPE sim_simulated_time_seconds gauge', `sim_simulated_time_seconds ${Math.floor(lab.clock.nowMs() / 1000)}`];
    const c = lab.counters();
    lines.push('# TYPE sim_modbus_frames_total counter');
    for (const [transport, byName] of Object.entries(c)) {
      for (const [name, counters] of Object.entries(byName)) {
        for (const [outcome, n] of Object.entries(counters)) lines.push(`sim_modbus_frames_total{transport="${transport}",endpoint="${name}",outcome="${outcome}"} ${n}`);
      }
    }
    res.type('text/plain').send(`${lines.join('\n')}\n`);
  });
  app.use(jsonNotFound(['GET /lab', 'GET /devices/:id', 'PUT /devices/:id/faults', 'PUT /devices/:id/values', 'GET /healthz', 'GET /metrics']));
  app.use(jsonErrors);
  return listenHttp(app, port, host);
}
