/** Listen with the API app on HTTP or HTTPS (config `api.tls`), with a clean close. */
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import type { RequestListener } from 'node:http';
import type { TlsFiles } from '../config.js';
import type { MetricsRegistry } from '../metrics.js';
import { apiErrorCounter } from './api-error.js';

export interface ApiServer { url: string; server: Server; close(): Promise<void> }

/** Start listening; `port` 0 picks a free port. */
export async function listenApi(app: RequestListener, opts: { host: string; port: number; tls?: TlsFiles | null; metrics?: MetricsRegistry }): Promise<ApiServer> {
  const server: Server = opts.tls
    ? createHttpsServer({ cert: readFileSync(opts.tls.certPath), key: readFileSync(opts.tls.keyPath), ...(opts.tls.caPath ? { ca: readFileSync(opts.tls.caPath) } : {}) }, app)
    : createHttpServer(app);
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  const errors = opts.metrics ? apiErrorCounter(opts.metrics) : null;
  server.on('clientError', (err: Error & { code?: string }, socket: Socket) => { if (answerClientError(err, socket)) errors?.inc({ code: 'BAL_API_BAD_REQUEST' }); });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => { server.off('error', reject); resolve(); });
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  let closing: Promise<void> | null = null;
  return {
    url: `${opts.tls ? 'https' : 'http'}://${host}:${port}`,
    server,
    close() {
      closing ??= new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); });
      return closing;
    },
  };
}

const CLIENT_ERRORS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout'],
};

/**
 * A request Node's HTTP parser refuses (not HTTP, bad request line, headers too large) never
 * reaches express: answer it like every other error, `{ code, message }` with a 4xx, instead of
 * Node's bare 400. True when an answer was sent.
 */
function answerClientError(err: Error & { code?: string }, socket: Socket): boolean {
  if (err.code === 'ECONNRESET' || !socket.writable) { socket.destroy(); return false; }
  const [status, reason] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'Bad Request'];
  const body = JSON.stringify({ code: 'BAL_API_BAD_REQUEST', message: `malformed HTTP request (${err.code ?? 'parse error'})` });
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  return true;
}
