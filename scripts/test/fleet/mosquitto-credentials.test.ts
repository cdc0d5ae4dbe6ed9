// The broker files `fleet bundle` writes work in a real Mosquitto 2: the `$7$` password lines
// authenticate, a wrong password is refused, and the ACL lets a device publish only on its own
// PoD's topics. Also checked against the BAL's own password verifier.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@lightnode/test-kit/free-port';
import { startMosquitto, type MosquittoProcess } from '@lightnode/test-kit/mosquitto';
import { verifyPassword } from '@lightnode/cloud/operator';
import { makeCredentials, mosquittoAcl, mosquittoPasswdLine, passwdHash } from '../../src/fleet/mqtt-credentials.js';

const A = 'IT001E90000001';
const B = 'IT001E90000002';
const dir = mkdtempSync(join(tmpdir(), 'fleet-mosq-'));
const credA = makeCredentials(A);
const credB = makeCredentials(B);
const bal = makeCredentials('bal');
let port = 0;
let broker: MosquittoProcess | null = null;
let sub: ChildProcess | null = null;
let seen = '';

const pub = (c: { username: string; password: string }, topic: string, msg: string) =>
  spawnSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-u', c.username, '-P', c.password, '-t', topic, '-m', msg, '-q', '1', '-V', 'mqttv311'], { encoding: 'utf8', timeout: 10_000 });

test.before(async () => {
  port = await freePort();
  writeFileSync(join(dir, 'passwd'), [mosquittoPasswdLine(credA), mosquittoPasswdLine(credB), mosquittoPasswdLine(bal)].join('\n') + '\n', { mode: 0o600 });
  writeFileSync(join(dir, 'acl'), `${mosquittoAcl(A, A)}\n${mosquittoAcl(B, B)}\nuser bal\ntopic readwrite ln/v1/#\n`);
  writeFileSync(join(dir, 'mosquitto.conf'), `listener ${port} 127.0.0.1\nallow_anonymous false\npassword_file ${join(dir, 'passwd')}\nacl_file ${join(dir, 'acl')}\npersistence false\nuser ${userInfo().username}\n`); // as root, Mosquitto would drop to `mosquitto`, which cannot read the 0700 temp dir
  broker = await startMosquitto(join(dir, 'mosquitto.conf'), port);
  for (let i = 0; i < 50; i++) {
    const probe = spawnSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-u', bal.username, '-P', bal.password, '-t', 'ln/v1/probe', '-m', 'x'], { timeout: 2000 });
    if (probe.status === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  sub = spawn('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(port), '-u', bal.username, '-P', bal.password, '-t', 'ln/v1/+/readings', '-v', '-q', '1'], { stdio: ['ignore', 'pipe', 'ignore'] });
  sub.stdout!.on('data', (d) => (seen += d));
  await new Promise((r) => setTimeout(r, 500));
});

test.after(async () => {
  sub?.kill('SIGKILL');
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('the password lines are the BAL\'s $7$ format', async () => {
  const line = mosquittoPasswdLine(credA);
  assert.match(line, /^IT001E90000001:\$7\$101\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/);
  assert.ok(await verifyPassword(credA.password, passwdHash(line)));
  assert.not.ok(await verifyPassword(credB.password, passwdHash(line)));
});

test('Mosquitto 2 accepts the device credentials and refuses a wrong password', () => {
  const okA = pub(credA, `ln/v1/${A}/readings`, 'from-A');
  assert.is(okA.status, 0, okA.stderr + String(okA.error ?? ''));
  const wrong = pub({ username: A, password: credB.password }, `ln/v1/${A}/readings`, 'nope');
  assert.is.not(wrong.status, 0);
  assert.match(wrong.stderr + wrong.stdout, /not authori[sz]ed|Connection Refused/i);
});

test('the ACL confines a device to its own PoD topics', async () => {
  assert.is(pub(credA, `ln/v1/${B}/readings`, 'A-posing-as-B').status, 0); // Mosquitto drops it silently
  assert.is(pub(credB, `ln/v1/${B}/readings`, 'from-B').status, 0);
  for (let i = 0; i < 40 && !seen.includes('from-B'); i++) await new Promise((r) => setTimeout(r, 100));
  assert.match(seen, new RegExp(`ln/v1/${A}/readings from-A`));
  assert.match(seen, new RegExp(`ln/v1/${B}/readings from-B`));
  assert.not.match(seen, /A-posing-as-B/);
});

test.run();
