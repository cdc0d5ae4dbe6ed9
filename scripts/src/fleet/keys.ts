/**
 * The DSO's signing key: an Ethereum v3 keystore (scrypt) with its password from
 * FLEET_KEYSTORE_PASSWORD or an interactive prompt, or a raw key in FLEET_PRIVATE_KEY.
 * The key never appears in errors or logs.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Wallet, encryptKeystoreJson } from 'ethers';
import { FleetCode, FleetError } from './errors.js';

export interface KeySource { keystore?: string; env?: NodeJS.ProcessEnv }

/** Load the DSO wallet (not yet connected to a provider). */
export async function loadDsoWallet(src: KeySource): Promise<Wallet> {
  const env = src.env ?? process.env;
  if (src.keystore) {
    let json: string;
    try { json = readFileSync(src.keystore, 'utf8'); } catch (err) {
      throw new FleetError(FleetCode.KEYSTORE_INVALID, `cannot read keystore ${src.keystore}: ${(err as Error).message}`);
    }
    const password = env.FLEET_KEYSTORE_PASSWORD ?? (await promptHidden(`password for ${src.keystore}: `));
    try {
      const w = await Wallet.fromEncryptedJson(json, password);
      return new Wallet(w.privateKey);
    } catch (err) {
      throw new FleetError(FleetCode.KEYSTORE_INVALID, `cannot decrypt keystore ${src.keystore}: ${(err as Error).message.split(' (')[0]}`);
    }
  }
  const raw = env.FLEET_PRIVATE_KEY;
  if (raw) {
    try { return new Wallet(raw.startsWith('0x') ? raw : `0x${raw}`); } catch {
      throw new FleetError(FleetCode.KEY_MISSING, 'FLEET_PRIVATE_KEY is not a 32-byte hex private key');
    }
  }
  throw new FleetError(FleetCode.KEY_MISSING, 'no DSO key: pass --keystore <file> (password in FLEET_KEYSTORE_PASSWORD or prompted) or set FLEET_PRIVATE_KEY');
}

/** `--scrypt-n`: a power of two >= 1024 (FLEET_USAGE otherwise); absent → `fallback`. */
export function parseScryptN(raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1024 || !Number.isInteger(Math.log2(n))) throw new FleetError(FleetCode.USAGE, `--scrypt-n: expected a power of two >= 1024, found ${raw}`);
  return n;
}

/** Encrypt a private key as a v3 keystore; `scryptN` lowers the cost for tests only. */
export async function encryptKeystore(privateKey: string, password: string, scryptN?: number): Promise<string> {
  const w = new Wallet(privateKey);
  return encryptKeystoreJson({ address: w.address, privateKey: w.privateKey }, password, scryptN ? { scrypt: { N: scryptN } } : {});
}

async function promptHidden(question: string): Promise<string> {
  if (!process.stdin.isTTY) throw new FleetError(FleetCode.KEY_MISSING, 'keystore password needed: set FLEET_KEYSTORE_PASSWORD (stdin is not a terminal)');
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const out = rl as unknown as { _writeToOutput: (s: string) => void; output: NodeJS.WritableStream };
  let muted = false;
  out._writeToOutput = (s: string) => { if (!muted || s.includes('\n')) process.stderr.write(muted ? '\n' : s); };
  return new Promise((resolve) => {
    rl.question(question, (answer) => { rl.close(); resolve(answer); });
    muted = true;
  });
}
