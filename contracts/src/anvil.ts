// Starts a local anvil chain (binary from npm @foundry-rs/anvil) on a free port for tests, the demo
// and `pnpm chain`. The child is killed on stop() and when this process exits.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { LightNodeError } from '@lightnode/shared/errors';

/** anvil's default mnemonic; the keys below are its accounts 0..9. Public test keys: never use on a real chain. */
export const ANVIL_MNEMONIC = 'test test test test test test test test test test test junk';

/** Private keys of anvil's default accounts 0..9 (each funded with 10,000 ETH on start). */
export const ANVIL_PRIVATE_KEYS = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
  '0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba',
  '0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e',
  '0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356',
  '0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97',
  '0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6',
] as const satisfies readonly `0x${string}`[];

/** Options of startAnvil. */
export interface AnvilOptions {
  /** TCP port on 127.0.0.1; default: a free port chosen by the OS. */
  port?: number;
  /** Chain id; default 31337. */
  chainId?: number;
  /** Seconds per block (interval mining); default: mine one block per transaction (automine). */
  blockTimeSec?: number;
  /** How long to wait for eth_chainId to answer, ms; default 20,000. */
  startTimeoutMs?: number;
  /** Extra command-line arguments for anvil. */
  args?: string[];
  /** Forward anvil's stdout/stderr to this process's stderr; default false. */
  verbose?: boolean;
  /**
   * Run anvil in a process group of its own, so a terminal's Ctrl-C (SIGINT to the whole
   * foreground group) reaches only this process, which stops anvil last, after the parts that
   * still talk to it (the demo). It is still killed when this process exits. Default false: a
   * test runner that kills a test's group takes its anvil with it.
   */
  detached?: boolean;
}

/** A running anvil. */
export interface AnvilHandle {
  rpcUrl: string;
  chainId: number;
  port: number;
  pid: number;
  /** Kills anvil and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function killAll(): void {
  for (const child of running) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Synchronous kill on exit: no orphan anvil survives the test or CLI that started it.
  process.on('exit', killAll);
  // A signal skips 'exit' handlers. Without a handler of the application's own: kill anvil and
  // keep Node's default (terminate). With one (`pnpm chain`, the demo stopping gracefully on
  // SIGINT): the application stops anvil in its own order — killing it here would cut off the
  // parts still talking to it — and the 'exit' hook above still takes whatever is left.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      if (process.listenerCount(signal) > 1) return;
      killAll();
      process.off(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

/** Path of the native anvil binary shipped in the platform package of @foundry-rs/anvil. */
export function anvilBinaryPath(): string {
  const req = createRequire(import.meta.url);
  const wrapperDir = dirname(req.resolve('@foundry-rs/anvil/package.json'));
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const platformPkg = `@foundry-rs/anvil-${process.platform}-${arch}`;
  const exe = process.platform === 'win32' ? 'anvil.exe' : 'anvil';
  try {
    return createRequire(join(wrapperDir, 'package.json')).resolve(`${platformPkg}/bin/${exe}`);
  } catch {
    throw new LightNodeError('CONTRACTS_ANVIL_MISSING', `anvil binary not found: ${platformPkg} is not installed for ${process.platform}/${process.arch}`);
  }
}

/** Asks the OS for a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

async function rpcChainId(rpcUrl: string): Promise<number | null> {
  try {
    const res = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(1000),
    });
    const body = (await res.json()) as { result?: string };
    return body.result ? Number(BigInt(body.result)) : null;
  } catch {
    return null;
  }
}

/** Starts anvil and resolves once it answers eth_chainId. Retries another port if the chosen one was taken. */
export async function startAnvil(opts: AnvilOptions = {}): Promise<AnvilHandle> {
  if (opts.port !== undefined && !(await portIsFree(opts.port))) {
    throw new LightNodeError('CONTRACTS_ANVIL_PORT_IN_USE', `port ${opts.port} on 127.0.0.1 is already in use`);
  }
  const attempts = opts.port === undefined ? 3 : 1;
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await startOnce(opts.port ?? (await freePort()), opts);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

async function startOnce(port: number, opts: AnvilOptions): Promise<AnvilHandle> {
  const chainId = opts.chainId ?? 31337;
  const args = ['--host', '127.0.0.1', '--port', String(port), '--chain-id', String(chainId), '--silent'];
  if (opts.blockTimeSec !== undefined) args.push('--block-time', String(opts.blockTimeSec));
  args.push(...(opts.args ?? []));
  installExitHook();
  const child = spawn(anvilBinaryPath(), args, { stdio: ['ignore', 'pipe', 'pipe'], detached: opts.detached ?? false });
  running.add(child);
  let output = '';
  const onData = (d: Buffer): void => {
    if (output.length < 8192) output += d.toString();
    if (opts.verbose) process.stderr.write(d);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<void>((resolve) => child.once('exit', () => { running.delete(child); resolve(); }));
  let dead = false;
  void exited.then(() => { dead = true; });

  const stop = async (): Promise<void> => {
    if (!dead) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    }
  };

  const rpcUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.startTimeoutMs ?? 20_000);
  while (Date.now() < deadline) {
    if (dead) throw new LightNodeError('CONTRACTS_ANVIL_START_FAILED', `anvil exited during start on port ${port}: ${output.trim().slice(0, 500)}`);
    const id = await rpcChainId(rpcUrl);
    if (id !== null) {
      if (id !== chainId) {
        await stop();
        throw new LightNodeError('CONTRACTS_ANVIL_PORT_IN_USE', `port ${port} answers chain id ${id}, expected ${chainId} (another node is listening there)`);
      }
      return { rpcUrl, chainId, port, pid: child.pid ?? -1, stop };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new LightNodeError('CONTRACTS_ANVIL_START_FAILED', `anvil did not answer eth_chainId on ${rpcUrl} within ${opts.startTimeoutMs ?? 20_000} ms`);
}
