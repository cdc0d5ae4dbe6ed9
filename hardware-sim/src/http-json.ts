/**
 * The JSON-only HTTP plumbing of the control API and the EMS REST API: every refusal is
 * `{ code, message }` (never express's HTML page), a PUT without a JSON body says so, and
 * `listenHttp` resolves with the URL once the port is bound.
 */
import type { Server } from 'node:http';
import type express from 'express';

/** Malformed JSON bodies and other request errors as JSON with a code, never an HTML page. */
export function jsonErrors(err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction): void {
  const status = (err as { status?: number }).status ?? 500;
  res.status(status).json({ code: status === 400 ? 'SIM_REQUEST_INVALID' : 'SIM_INTERNAL', message: (err as Error).message });
}

/** A write whose body is not JSON (e.g. curl's default form encoding) is refused before a route sees it. */
export function requireJsonBody(req: express.Request, res: express.Response, next: express.NextFunction): void {
  if ((req.method === 'PUT' || req.method === 'POST') && req.body === undefined) {
    res.status(400).json({ code: 'SIM_REQUEST_INVALID', message: 'send a JSON body with content-type: application/json' });
    return;
  }
  next();
}

/** The last handler: an unknown route is a JSON 404 listing the routes there are. */
export function jsonNotFound(routes: string[]) {
  return (req: express.Request, res: express.Response): void => {
    res.status(404).json({ code: 'SIM_ROUTE_UNKNOWN', message: `no route ${req.method} ${req.path}; routes: ${routes.join(', ')}` });
  };
}

/** Listens on host:port (0 = a free port); resolves with the server and its URL. */
export function listenHttp(app: express.Express, port: number, host: string): Promise<{ server: Server; url: string }> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, () => resolve({ server, url: `http://${host}:${(server.address() as { port: number }).port}` }));
    server.once('error', reject);
  });
}
