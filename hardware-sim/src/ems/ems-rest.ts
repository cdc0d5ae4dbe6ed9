/**
 * REST adapter of the EMS (express): GET /ems/setpoint reads back, PUT /ems/setpoint
 * `{ mode?, setpointW? }` changes; refusals are 400 `{ code, message, details }`.
 */
import type { Server } from 'node:http';
import express from 'express';
import { isLightNodeError } from '@lightnode/shared/errors';
import type { SimEms } from './sim-ems.js';

/** Adds the EMS routes to an express app. */
export function emsRoutes(app: express.Express, ems: SimEms): void {
  app.get('/ems/setpoint', (_req, res) => { res.json(ems.view()); });
  app.put('/ems/setpoint', (req, res) => {
    try {
      const body = (req.body ?? {}) as Record<string, unknown>;
      res.json(ems.change({ mode: body.mode, setpointW: body.setpointW }));
    } catch (e) {
      if (!isLightNodeError(e)) throw e;
      res.status(400).json(e.toJSON());
    }
  });
}

/** Starts an HTTP server for one EMS; resolves with its port. */
export function startEmsRest(ems: SimEms, port = 0, host = '127.0.0.1'): Promise<{ server: Server; url: string }> {
  const app = express();
  app.use(express.json({ limit: '16kb' }));
  app.get('/healthz', (_req, res) => { res.json({ ok: true }); });
  emsRoutes(app, ems);
  app.use(jsonErrors);
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, () => resolve({ server, url: `http://${host}:${(server.address() as { port: number }).port}` }));
    server.once('error', reject);
  });
}

/** Malformed JSON bodies and other request errors as JSON with a code, never an HTML page. */
export function jsonErrors(err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction): void {
  const status = (err as { status?: number }).status ?? 500;
  res.status(status).json({ code: status === 400 ? 'SIM_REQUEST_INVALID' : 'SIM_INTERNAL', message: (err as Error).message });
}
