/**
 * An in-process aedes MQTT broker on 127.0.0.1 for tests that need a real broker over a real
 * socket but no broker security (Mosquitto with ACLs is tested where the ACLs are made).
 */
import net, { type AddressInfo } from 'node:net';
import { Aedes } from 'aedes';

export interface TestBroker {
  port: number;
  /** `mqtt://127.0.0.1:<port>`. */
  url: string;
  aedes: Aedes;
  /** Drops every client connection, then closes the listener and the broker. */
  close(): Promise<void>;
}

/** Starts aedes on `port` (0 = a free port; a fixed port lets a test restart "the same" broker). */
export async function startAedes(port = 0): Promise<TestBroker> {
  const aedes = await Aedes.createBroker();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    aedes.handle(sock);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const p = (server.address() as AddressInfo).port;
  return {
    port: p,
    url: `mqtt://127.0.0.1:${p}`,
    aedes,
    close: async () => {
      // open client sockets would keep server.close() waiting
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => aedes.close(() => r()));
    },
  };
}
