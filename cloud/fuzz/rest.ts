/**
 * Fuzz the BAL's REST API over HTTP (issue 17 "Figures": REST bodies and queries): seeded
 * requests built from the OpenAPI document's own paths and methods, with hostile path
 * parameters, query strings, headers and bodies, sent to a running BAL. Every answer must be
 * a coded JSON error (4xx with `code`) or a success; a 5xx, a non-JSON error, a reset
 * connection, an answer that takes over a minute or a BAL that stops answering counts as a crash.
 */
import { Rng, WEIRD_VALUES, inputSeed, mutateJson, mutateText, type FuzzResult } from '@lightnode/shared/fuzz/engine';

export interface RestFuzzOptions {
  /** Base URL of the BAL's API, e.g. http://127.0.0.1:8080 */
  baseUrl: string;
  /** A valid API key (role dso), used on most requests so validation behind auth is reached. */
  apiKey: string;
  requests: number;
  seed: number;
  /** Requests in flight; default 8. */
  concurrency?: number;
}

interface Route { method: string; path: string }

const PARAM_VALUES = [
  '1', '0', '-1', '9007199254740993', '1e3', '0x10', 'abc', '%00', '..%2F..%2Fetc%2Fpasswd', '%F0%9F%92%A9', '%ZZ', 'IT001E00000001',
  'IT001E0000000', 'ln%2Fv1%2FIT001E00000001%2Freadings', 'certified%2Fv1%2FIT001E00000001%2Freadings', 'a'.repeat(300), 'admin', '__proto__', ' ',
];
const QUERY_KEYS = ['pod', 'from', 'to', 'status', 'limit', 'cursor', 'search', 'format', 'transaction', 'topic', 'intervals', 'x', '__proto__', 'limit[]', 'pod[a]'];
const QUERY_VALUES = ['', '1', '-5', '100000', '1.5', 'NaN', '2026-01-01T00:00:00Z', '2026-13-45', 'IT001E00000001', 'stored', 'anchored', 'bogus',
  '0x' + 'ab'.repeat(32), '0x12', '%', '%E0%A4%A', 'a'.repeat(3000), '9'.repeat(40)];
const BODY_SAMPLES: unknown[] = [
  { username: 'dso-admin', password: 'correct horse battery staple' },
  { username: 'u1', password: 'p'.repeat(12), role: 'consumer' },
  { topic: 'certified/v1/IT001E00000001/readings' },
  { pod: 'IT001E00000001' },
  { signature: '0x' + '11'.repeat(65), deadline: 1_900_000_000 },
  { oldPassword: 'x'.repeat(12), newPassword: 'y'.repeat(12) },
  { topic: 'certified/v1/IT001E00000001/readings', status: 'accepted' },
];

/** The routes of the OpenAPI document (`GET /api/openapi.json`), skipping the event stream. */
async function routes(baseUrl: string): Promise<Route[]> {
  const doc = (await (await fetch(`${baseUrl}/api/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
  const out: Route[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    if (path === '/api/events') continue; // a stream that stays open; its ticket route is fuzzed
    for (const method of Object.keys(ops)) if (['get', 'post', 'put', 'patch', 'delete'].includes(method)) out.push({ method: method.toUpperCase(), path });
  }
  return out;
}

interface FuzzRequest { method: string; url: string; headers: Record<string, string>; body?: string }

function buildRequest(rnd: Rng, all: Route[], o: RestFuzzOptions): FuzzRequest {
  const r = rnd.pick(all);
  const method = rnd.chance(0.1) ? rnd.pick(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD']) : r.method;
  let path = r.path.replace(/\{[^}]+\}/g, () => rnd.pick(PARAM_VALUES));
  // A mangled path stays a path of this server (the fuzz is of the BAL, not of URL parsing).
  if (rnd.chance(0.05)) path = `/${mutateText(rnd, path).replace(/[^\x21-\x7e]/g, '%20').replace(/^\/+/, '')}`;
  const q: string[] = [];
  for (let i = rnd.int(4); i > 0; i--) q.push(`${encodeURIComponent(rnd.pick(QUERY_KEYS))}=${rnd.chance(0.8) ? encodeURIComponent(rnd.pick(QUERY_VALUES)) : rnd.pick(QUERY_VALUES)}`);
  const headers: Record<string, string> = {};
  const auth = rnd.next();
  if (auth < 0.75) headers['x-api-key'] = o.apiKey;
  else if (auth < 0.85) headers.authorization = rnd.pick(['Bearer ', 'Bearer x', `Bearer ${'a'.repeat(600)}`, 'Basic Zm9vOmJhcg==', 'Bearer ../..']);
  else if (auth < 0.95) headers['x-api-key'] = rnd.pick(['', 'nope', o.apiKey.slice(0, -1), o.apiKey + 'x', 'k'.repeat(1000)]);
  let body: string | undefined;
  if (method !== 'GET' && method !== 'HEAD') {
    const b = rnd.next();
    if (b < 0.6) body = JSON.stringify(mutateJson(rnd, rnd.pick(BODY_SAMPLES))) ?? 'null';
    else if (b < 0.8) body = mutateText(rnd, JSON.stringify(rnd.pick(BODY_SAMPLES)));
    else if (b < 0.9) body = JSON.stringify(rnd.pick(WEIRD_VALUES)) ?? 'null';
    if (body !== undefined) headers['content-type'] = rnd.chance(0.9) ? 'application/json' : rnd.pick(['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', '']);
  }
  return { method, url: `${o.baseUrl}${path}${q.length ? `?${q.join('&')}` : ''}`, headers, ...(body !== undefined ? { body } : {}) };
}

/** Send `requests` hostile requests; returns the same shape as the parser fuzzers. */
export async function fuzzRest(o: RestFuzzOptions): Promise<FuzzResult> {
  const started = performance.now();
  const all = await routes(o.baseUrl);
  const res: FuzzResult = { target: 'REST API requests', side: 'bal', inputs: 0, accepted: 0, rejected: {}, crashes: 0, examples: [], ms: 0 };
  const crash = (index: number, error: string): void => {
    res.crashes += 1;
    if (res.examples.length < 5) res.examples.push({ index, error: error.slice(0, 400) });
  };
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const index = next++;
      if (index >= o.requests) return;
      const req = buildRequest(new Rng(inputSeed(o.seed, index)), all, o);
      res.inputs += 1;
      try {
        const r = await fetch(req.url, { method: req.method, headers: req.headers, ...(req.body !== undefined ? { body: req.body } : {}), signal: AbortSignal.timeout(60_000) });
        const type = r.headers.get('content-type') ?? '';
        const text = type.includes('event-stream') ? (await r.body?.cancel(), '') : await r.text();
        if (r.status >= 500 && r.status !== 503 && !req.url.startsWith(`${o.baseUrl}/healthz`)) { crash(index, `${req.method} ${req.url} → ${r.status} ${text.slice(0, 200)}`); continue; }
        // /healthz answers 503 with its checks when a dependency is down: an answer, not a failure.
        if (r.status < 400 || (r.status === 503 && req.url.startsWith(`${o.baseUrl}/healthz`))) { res.accepted += 1; continue; }
        let code = '';
        try { code = String((JSON.parse(text) as { code?: unknown }).code ?? ''); } catch { /* not JSON */ }
        if (req.method === 'HEAD' && code === '') code = `HTTP_${r.status}`; // HEAD answers carry no body
        if (!/^[A-Z][A-Z0-9_]+$/.test(code)) { crash(index, `${req.method} ${req.url} → ${r.status} without a coded JSON error: ${text.slice(0, 200)}`); continue; }
        res.rejected[code] = (res.rejected[code] ?? 0) + 1;
      } catch (e) {
        crash(index, `${req.method} ${req.url} → ${(e as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency ?? 8 }, worker));
  res.ms = performance.now() - started;
  return res;
}
