/** modbus-serial client helpers for tests (TCP and RTU). */
import ModbusRTU from 'modbus-serial';

export type Client = InstanceType<typeof ModbusRTU>;

export async function tcpClient(port: number, timeoutMs = 1000): Promise<Client> {
  const c = new ModbusRTU();
  await c.connectTCP('127.0.0.1', { port });
  c.setTimeout(timeoutMs);
  return c;
}

export async function rtuClient(path: string, timeoutMs = 1000): Promise<Client> {
  const c = new ModbusRTU();
  await c.connectRTUBuffered(path, { baudRate: 9600, lock: false } as never);
  c.setTimeout(timeoutMs);
  return c;
}

/** A read function for decode.ts bound to one client and slave id. */
export function reader(c: Client, id: number) {
  return async (fc: 3 | 4, address: number, count: number): Promise<number[]> => {
    c.setID(id);
    const r = fc === 3 ? await c.readHoldingRegisters(address, count) : await c.readInputRegisters(address, count);
    return r.data;
  };
}

export function closeClient(c: Client): Promise<void> {
  // close() never calls back on a socket the server already dropped: bound the wait.
  return new Promise((resolve) => {
    const t = setTimeout(resolve, 500);
    try { c.close(() => { clearTimeout(t); resolve(); }); } catch { clearTimeout(t); resolve(); }
  });
}
