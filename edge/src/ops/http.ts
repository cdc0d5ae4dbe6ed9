/**
 * `/healthz` (JSON, 200 when healthy, 503 otherwise) and Prometheus `/metrics` (text 0.0.4) on
 * a local address (default 127.0.0.1:9464) with node:http: two routes do not need a framework.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from './metrics.js';

export interface Health { ok: boolean; [k: string]: unknown }

/** A started ops server: its port and a `close()`. */
export interface OpsServer { port: number; server: Server; close(): Promise<void> }

/** Start the ops server; `port` 0 asks the OS for a free port. */
export function startOpsServer(opts: { host: string; port: number; metrics: Metrics; health: () => Health }): Promise<OpsServer> {
  const server = createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    try {
      if (url === '/metrics') {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(opts.metrics.render());
      } else if (url === '/healthz') {
        const h = opts.health();
        res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(h));
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      }
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`error: ${(err as Error).message}\n`);
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        server,
        close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
      });
    });
  });
}
