// `pnpm chain [--port N] [--out .data/deployment.json] [--chain-id N] [--block-time SEC]`
// Starts a local anvil, deploys PodRegistry + ReadingAnchor with anvil's account 0 (admin, DSO and
// BAL), writes the deployment file that edge, cloud and scripts read, and keeps running until Ctrl-C.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Wallet } from 'ethers';
import { ANVIL_PRIVATE_KEYS, startAnvil } from '@lightnode/contracts/anvil';
import { buildArtifacts } from '@lightnode/contracts/build';
import { jsonRpcProvider } from '@lightnode/contracts/connect';
import { deployAll, writeDeployment } from '@lightnode/contracts/deploy';

const USAGE = 'usage: pnpm chain [--port N] [--out .data/deployment.json] [--chain-id 31337] [--block-time SEC]';

function intArg(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`--${name}: expected an integer ${min}..${max}, found ${JSON.stringify(raw)}\n${USAGE}`);
    process.exit(2);
  }
  return n;
}

async function main(): Promise<void> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        out: { type: 'string', default: '.data/deployment.json' },
        'chain-id': { type: 'string' },
        'block-time': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = intArg('port', values.port as string | undefined, 1, 65535);
  const chainId = intArg('chain-id', values['chain-id'] as string | undefined, 1, 2 ** 31);
  const blockTimeSec = intArg('block-time', values['block-time'] as string | undefined, 1, 3600);
  // Relative to where the user ran `pnpm chain` (pnpm sets INIT_CWD), not the scripts folder.
  const out = resolve(process.env.INIT_CWD ?? process.cwd(), values.out as string);

  buildArtifacts(); // no-op when the artifacts are current; compiles them on a fresh clone
  const anvil = await startAnvil({ port, chainId, blockTimeSec });
  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping anvil (pid ${anvil.pid})`);
    await anvil.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  try {
    const provider = jsonRpcProvider(anvil.rpcUrl, anvil.chainId);
    const admin = new Wallet(ANVIL_PRIVATE_KEYS[0], provider);
    const deployment = await deployAll(admin, { rpcUrl: anvil.rpcUrl });
    writeDeployment(out, deployment);
    provider.destroy();
    console.log(`anvil         ${anvil.rpcUrl} (chain id ${anvil.chainId}, pid ${anvil.pid})`);
    console.log(`PodRegistry   ${deployment.podRegistry}`);
    console.log(`ReadingAnchor ${deployment.readingAnchor}`);
    console.log(`deploy block  ${deployment.deployBlock}`);
    console.log(`admin/DSO/BAL ${deployment.admin} (anvil account 0, key ${ANVIL_PRIVATE_KEYS[0]})`);
    console.log(`deployment    ${out}`);
    console.log(JSON.stringify({ event: 'chain_ready', file: out, ...deployment }));
    console.log('running; Ctrl-C to stop');
  } catch (err) {
    console.error(`deploy failed: ${(err as Error).message}`);
    await anvil.stop();
    process.exit(1);
  }
  // Keep the event loop alive until a signal arrives.
  setInterval(() => {}, 1 << 30);
}

void main();
