/**
 * REST adapter of the EMS (express): GET /ems/setpoint reads back, PUT /ems/setpoint
 * `{ mode?, setpointW? }` changes; refusals are 400 `{ code, message, details }`.
 */
import type { Server } from 'node:http';
import express from 'express';
import { isLightNodeError } from '@lightnode/shared/errors';
import { jsonErrors, jsonNotFound, listenHttp, requireJsonBody } from '../http-json.js';
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
  app.use(express.json({ limit: '16kb' }), requireJsonBody);
  app.get('/healthz', (_req, res) => { res.json({ ok: true }); });
  emsRoutes(app, ems);
  app.use(jsonNotFound(['GET /healthz', 'GET /ems/setpoint', 'PUT /ems/setpoint']));
  app.use(jsonErrors);
  return listenHttp(app, port, host);
}
