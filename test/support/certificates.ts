/**
 * Test certificates made with the `openssl` CLI in a temp dir: a CA, a server certificate
 * for 127.0.0.1/localhost, a client certificate, one that is both (for a whole system), and a client certificate from another CA
 * (which a mutual-TLS server must refuse). EC P-256 keys, valid for a day.
 *
 * @example
 *   const certs = makeCertificates();
 *   env.MGRPC_TLS_CA = certs.ca; …; certs.cleanup();
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TestCertificates {
  dir: string;
  /** Paths of PEM files. */
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** One identity for a whole system, server and client (both key usages), as the README shows. */
  peerCert: string;
  peerKey: string;
  /** A client identity signed by a CA the servers do not trust. */
  strangerCert: string;
  strangerKey: string;
  cleanup(): void;
}

export function makeCertificates(): TestCertificates {
  const dir = mkdtempSync(path.join(tmpdir(), 'mgrpc-certs-'));
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

  const makeCa = (name: string) => openssl('req', '-x509', ...newKey, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '1', '-subj', `/CN=mgrpc test ${name}`);
  const issue = (name: string, ca: string, extensions: string) => {
    writeFileSync(file(`${name}.ext`), extensions);
    openssl('req', ...newKey, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=mgrpc ${name}`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', '-extfile', `${name}.ext`);
  };

  makeCa('ca');
  makeCa('other-ca');
  issue('server', 'ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  issue('client', 'ca', 'extendedKeyUsage=clientAuth\n');
  issue('peer', 'ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  issue('stranger', 'other-ca', 'extendedKeyUsage=clientAuth\n');
  return {
    dir,
    ca: file('ca.crt'),
    serverCert: file('server.crt'),
    serverKey: file('server.key'),
    clientCert: file('client.crt'),
    clientKey: file('client.key'),
    peerCert: file('peer.crt'),
    peerKey: file('peer.key'),
    strangerCert: file('stranger.crt'),
    strangerKey: file('stranger.key'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
