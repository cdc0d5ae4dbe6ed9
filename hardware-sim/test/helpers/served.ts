/** The same devices served over RTU (a socat pty pair) and TCP, with a modbus-serial client on each. */
import type { ModbusDevice } from '../../src/modbus/device.js';
import { ModbusRtuServer } from '../../src/modbus/rtu-server.js';
import { ModbusTcpServer } from '../../src/modbus/tcp-server.js';
import { closeClient, rtuClient, tcpClient, type Client } from './client.js';
import { startPtyPair, type PtyPair } from '@lightnode/test-kit/pty-pair';

export interface Served {
  pty: PtyPair; rtu: ModbusRtuServer; tcp: ModbusTcpServer;
  /** RTU client (on the pty's other end) and TCP client. */
  rc: Client; tc: Client;
  port: number;
  /** Clients, servers and socat closed, in that order. */
  stop(): Promise<void>;
}

export async function serveOverRtuAndTcp(rtuDevices: Map<number, ModbusDevice>, tcpDevices = rtuDevices): Promise<Served> {
  const pty = await startPtyPair();
  const rtu = new ModbusRtuServer({ path: pty.a, devices: rtuDevices });
  await rtu.start();
  const tcp = new ModbusTcpServer({ devices: tcpDevices });
  const port = (await tcp.start()).port;
  const tc = await tcpClient(port);
  const rc = await rtuClient(pty.b);
  return {
    pty, rtu, tcp, rc, tc, port,
    async stop() {
      await closeClient(rc);
      await closeClient(tc);
      await rtu.stop();
      await tcp.stop();
      await pty.close();
    },
  };
}
