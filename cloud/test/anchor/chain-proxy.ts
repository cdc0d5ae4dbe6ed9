// A TCP forwarder in front of anvil that the test can take down and bring back on the same
// port: a real "chain unreachable" (connection refused) without killing anvil's state.
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface ChainProxy { url: string; down(): Promise<void>; up(): Promise<void>; close(): Promise<void> }

export async function startChainProxy(targetPort: number): Promise<ChainProxy> {
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let port = 0;
  const listen = () => new Promise<void>((resolve, reject) => {
    const s = createServer((client) => {
      const upstream = connect(targetPort, '127.0.0.1');
      sockets.add(client); sockets.add(upstream);
      const drop = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
      client.on('error', drop); upstream.on('error', drop); client.on('close', drop); upstream.on('close', drop);
      client.pipe(upstream); upstream.pipe(client);
    });
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => { port = (s.address() as { port: number }).port; server = s; resolve(); });
  });
  const down = () => new Promise<void>((resolve) => {
    for (const s of sockets) s.destroy();
    sockets.clear();
    if (!server) return resolve();
    server.close(() => resolve());
    server = null;
  });
  await listen();
  return { url: `http://127.0.0.1:${port}`, down, up: listen, close: down };
}
