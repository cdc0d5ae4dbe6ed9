/**
 * A TCP proxy for tests that cut a process off from a server (PostgreSQL, a broker, an RPC):
 * clients connect to `port` on 127.0.0.1, each connection is piped to `target`. The test cuts
 * the link:
 *
 * - `cut('blackhole')`: a network partition. Open connections stay open but nothing passes
 *   either way (bytes are dropped), new connections are accepted and hang: the client sees
 *   nothing until its own timeouts fire.
 * - `cut('drop')`: the server is gone. Open connections are reset, new ones are refused (closed
 *   at once).
 *
 * `restore()` lets new connections through again (black-holed ones stay dead: as after a real
 * partition, the client must reconnect). `bytes` counts what passed client → server, and
 * `lastForwardMs` when the last byte did, so a test can say "nothing was sent after t".
 */
import net from 'node:net';

export type CutMode = 'blackhole' | 'drop';

export interface TcpProxy {
  port: number;
  /** `host:port` of the proxy, for URLs. */
  address: string;
  cut(mode: CutMode): void;
  restore(): void;
  readonly state: 'open' | CutMode;
  /** Bytes forwarded client → server since start. */
  readonly bytes: number;
  /** Date.now() of the last client → server byte forwarded (null before any). */
  readonly lastForwardMs: number | null;
  /** Open client connections. */
  readonly connections: number;
  close(): Promise<void>;
}

/** Start a proxy to `target` on a free port. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let state: 'open' | CutMode = 'open';
  let bytes = 0;
  let lastForwardMs: number | null = null;
  const pairs = new Set<{ client: net.Socket; server: net.Socket | null; dead: boolean }>();

  const server = net.createServer((client) => {
    client.on('error', () => {});
    if (state === 'drop') { client.resetAndDestroy(); return; }
    const pair = { client, server: null as net.Socket | null, dead: state === 'blackhole' };
    pairs.add(pair);
    client.on('close', () => { pair.server?.destroy(); pairs.delete(pair); });
    if (pair.dead) { client.on('data', () => {}); return; } // accepted, then nothing: a hang
    const upstream = net.connect(target.port, target.host);
    pair.server = upstream;
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => client.destroy());
    client.on('data', (b: Buffer) => {
      if (pair.dead) return;
      bytes += b.length;
      lastForwardMs = Date.now();
      upstream.write(b);
    });
    upstream.on('data', (b: Buffer) => { if (!pair.dead) client.write(b); });
  });
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(0, '127.0.0.1', () => resolve()); });
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    address: `127.0.0.1:${port}`,
    cut(mode) {
      state = mode;
      for (const p of pairs) {
        p.dead = true;
        if (mode === 'drop') { p.client.resetAndDestroy(); p.server?.destroy(); }
      }
    },
    restore() { state = 'open'; },
    get state() { return state; },
    get bytes() { return bytes; },
    get lastForwardMs() { return lastForwardMs; },
    get connections() { return pairs.size; },
    async close() {
      for (const p of pairs) { p.client.destroy(); p.server?.destroy(); }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
