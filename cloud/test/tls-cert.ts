/** A throw-away self-signed certificate for localhost / 127.0.0.1 (EC P-256, 1 day), made by `openssl`. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** Write `cert.pem` and `key.pem` into `dir`; returns their paths. */
export function selfSignedCert(dir: string): { certPath: string; keyPath: string } {
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', keyPath, '-out', certPath], { stdio: 'ignore' });
  return { certPath, keyPath };
}
