/**
 * TLS for gRPC from certificate paths in the environment:
 *   MGRPC_TLS_CERT + MGRPC_TLS_KEY  this process's identity (PEM); a server uses TLS when both are set
 *   MGRPC_TLS_CA                    the trust anchor (PEM); a client uses TLS, verifying its server, when set
 *   MGRPC_TLS_CLIENT_AUTH           require | none: whether a TLS server demands a client certificate
 *                                   signed by MGRPC_TLS_CA (default: require when MGRPC_TLS_CA is set)
 * Files are read and checked once, at start-up; any problem is one error naming the variable
 * and the path, so a typo does not surface later as an opaque handshake failure.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';

import * as grpc from '@grpc/grpc-js';

export const TLS_ENV = {
  cert: 'MGRPC_TLS_CERT',
  key: 'MGRPC_TLS_KEY',
  ca: 'MGRPC_TLS_CA',
  clientAuth: 'MGRPC_TLS_CLIENT_AUTH',
} as const;

export interface TlsSettings {
  /** This process's certificate chain and private key (PEM), when it has an identity. */
  identity?: { cert: Buffer; key: Buffer };
  /** The CA certificate(s) peers are verified against (PEM). */
  ca?: Buffer;
  /** A TLS server demands and verifies client certificates (mutual TLS). */
  requireClientCert: boolean;
}

function readPem(variable: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : ((err as NodeJS.ErrnoException).code ?? (err as Error).message);
    throw new Error(`${variable}=${file}: cannot read the file (${reason})`);
  }
}

function checkCertificate(variable: string, file: string, pem: Buffer): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new Error(`${variable}=${file}: not a PEM certificate (expected -----BEGIN CERTIFICATE-----)`);
  }
}

/** Reads and checks the TLS files named in `env`; throws one start-up error on any problem. */
export function tlsSettings(env: NodeJS.ProcessEnv): TlsSettings {
  const certPath = env[TLS_ENV.cert] || undefined;
  const keyPath = env[TLS_ENV.key] || undefined;
  const caPath = env[TLS_ENV.ca] || undefined;
  if (Boolean(certPath) !== Boolean(keyPath)) {
    const [set, unset] = certPath ? [TLS_ENV.cert, TLS_ENV.key] : [TLS_ENV.key, TLS_ENV.cert];
    throw new Error(`${set} is set but ${unset} is not: set both (a certificate and its private key) or neither`);
  }
  let identity: TlsSettings['identity'];
  if (certPath && keyPath) {
    const cert = readPem(TLS_ENV.cert, certPath);
    const key = readPem(TLS_ENV.key, keyPath);
    const certificate = checkCertificate(TLS_ENV.cert, certPath, cert);
    let keyObject;
    try {
      keyObject = createPrivateKey(key);
    } catch {
      throw new Error(`${TLS_ENV.key}=${keyPath}: not a PEM private key (expected -----BEGIN PRIVATE KEY-----)`);
    }
    if (!certificate.checkPrivateKey(keyObject)) {
      throw new Error(`${TLS_ENV.key}=${keyPath} is not the private key of the certificate in ${TLS_ENV.cert}=${certPath}`);
    }
    identity = { cert, key };
  }
  let ca: Buffer | undefined;
  if (caPath) {
    ca = readPem(TLS_ENV.ca, caPath);
    checkCertificate(TLS_ENV.ca, caPath, ca);
  }
  const clientAuth = (env[TLS_ENV.clientAuth] || (ca ? 'require' : 'none')).toLowerCase();
  if (clientAuth !== 'require' && clientAuth !== 'none') {
    throw new Error(`${TLS_ENV.clientAuth} must be 'require' or 'none', got '${env[TLS_ENV.clientAuth]}'`);
  }
  if (clientAuth === 'require' && !ca) {
    throw new Error(`${TLS_ENV.clientAuth}=require needs ${TLS_ENV.ca}: the CA that client certificates are verified against`);
  }
  return { identity, ca, requireClientCert: clientAuth === 'require' };
}

/**
 * The credentials of a gRPC server: TLS when this process has an identity, mutual TLS when
 * client certificates are required, plaintext otherwise.
 */
export function grpcServerCredentials(tls: TlsSettings): grpc.ServerCredentials {
  if (!tls.identity) {
    // A CA alone would leave the server plaintext while the operator believes it is
    // protected: refuse instead of guessing.
    if (tls.ca) {
      throw new Error(
        `${TLS_ENV.ca} is set but ${TLS_ENV.cert}/${TLS_ENV.key} are not: a gRPC server needs its own certificate and key to serve TLS`,
      );
    }
    return grpc.ServerCredentials.createInsecure();
  }
  const pair = { cert_chain: tls.identity.cert, private_key: tls.identity.key };
  return grpc.ServerCredentials.createSsl(tls.requireClientCert ? tls.ca! : null, [pair], tls.requireClientCert);
}

/**
 * The credentials of a gRPC client: TLS verifying the server against the CA when one is
 * set (presenting this process's certificate when it has one), plaintext otherwise.
 */
export function grpcChannelCredentials(tls: TlsSettings): grpc.ChannelCredentials {
  if (!tls.ca) return grpc.credentials.createInsecure();
  return grpc.credentials.createSsl(tls.ca, tls.identity?.key ?? null, tls.identity?.cert ?? null);
}
