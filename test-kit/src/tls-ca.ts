/**
 * A throw-away certificate authority for TLS tests, made with `openssl` (RSA 2048, valid 2 days):
 * a server certificate and, on request, a client certificate (extendedKeyUsage clientAuth), both
 * signed by the CA. For a lone self-signed server certificate the cloud keeps its own helper.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCa {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  /** null unless `clientCn` was given. */
  clientCert: string | null;
  clientKey: string | null;
}

export interface TestCaOptions {
  /** Server certificate subject CN; default `localhost`. */
  serverCn?: string;
  /** Server subjectAltName; default `DNS:localhost,IP:127.0.0.1`. */
  serverAltNames?: string;
  /** Also make a client certificate with this CN (e.g. a PoD code). */
  clientCn?: string;
}

/** Writes ca.pem/ca.key, server.pem/server.key (and client.pem/client.key) into `dir` and returns their paths. */
export function makeTestCa(dir: string, opts: TestCaOptions = {}): TestCa {
  mkdirSync(dir, { recursive: true });
  const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=lightnode test CA', '-keyout', 'ca.key', '-out', 'ca.pem');
  const issue = (name: string, cn: string, ext: string): void => {
    ossl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
    writeFileSync(join(dir, `${name}.ext`), `${ext}\n`);
    ossl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', `${name}.pem`, '-extfile', `${name}.ext`);
  };
  issue('server', opts.serverCn ?? 'localhost', `subjectAltName=${opts.serverAltNames ?? 'DNS:localhost,IP:127.0.0.1'}`);
  if (opts.clientCn !== undefined) issue('client', opts.clientCn, 'extendedKeyUsage=clientAuth');
  const f = (n: string) => join(dir, n);
  return {
    caCert: f('ca.pem'), caKey: f('ca.key'), serverCert: f('server.pem'), serverKey: f('server.key'),
    clientCert: opts.clientCn !== undefined ? f('client.pem') : null, clientKey: opts.clientCn !== undefined ? f('client.key') : null,
  };
}
