/**
 * The lab EMS for tests: hardware-sim's SimEms (devices/ems.json register map) behind the
 * simulator's Modbus TCP server, on a real socket. `state()` is the simulator's own view.
 */
import { ModbusTcpServer } from '@lightnode/hardware-sim/modbus/tcp-server';
import { SimEms, type EmsView } from '@lightnode/hardware-sim/ems/sim-ems';

export interface TestEms { port: number; state(): EmsView; close(): Promise<void> }

export async function startTestEms(): Promise<TestEms> {
  const ems = new SimEms({ id: 'ems', clock: { nowMs: () => Date.now() } });
  const server = new ModbusTcpServer({ devices: new Map([[1, ems]]) });
  const { port } = await server.start();
  return { port, state: () => ems.view(), close: () => server.stop() };
}
