import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';

/** PEM material for one certificate. */
export interface Pem {
  cert: string;
  key: string;
}

function keyPair() {
  // Node's keygen is native and fast; forge only builds and signs the certificates.
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKey: forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()),
    publicKey: forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString()),
  };
}

function certificate(commonName: string, serial: string, subjectKeys: ReturnType<typeof keyPair>, issuer: { cert?: forge.pki.Certificate; keys: ReturnType<typeof keyPair> }, extensions: object[]) {
  const cert = forge.pki.createCertificate();
  cert.publicKey = subjectKeys.publicKey;
  cert.serialNumber = serial;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 24 * 3600_000);
  const subject = [{ name: 'commonName', value: commonName }];
  cert.setSubject(subject);
  cert.setIssuer(issuer.cert ? issuer.cert.subject.attributes : subject);
  cert.setExtensions(extensions);
  cert.sign(issuer.keys.privateKey, forge.md.sha256.create());
  return cert;
}

/** A CA and certificates it signs, as Crossplane's package manager would mount them. */
export interface TestPki {
  ca: Pem;
  server: Pem;
  client: Pem;
}

/** Generates a fresh CA with a server certificate (127.0.0.1, localhost) and a client certificate. */
export function generatePki(name = 'test'): TestPki {
  const caKeys = keyPair();
  const caCert = certificate(`${name}-ca`, '01', caKeys, { keys: caKeys }, [
    { name: 'basicConstraints', cA: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true },
  ]);
  const serverKeys = keyPair();
  const serverCert = certificate('function-platform', '02', serverKeys, { cert: caCert, keys: caKeys }, [
    { name: 'basicConstraints', cA: false },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
  ]);
  const clientKeys = keyPair();
  const clientCert = certificate('crossplane', '03', clientKeys, { cert: caCert, keys: caKeys }, [
    { name: 'basicConstraints', cA: false },
    { name: 'extKeyUsage', clientAuth: true },
  ]);
  const pem = (cert: forge.pki.Certificate, keys: ReturnType<typeof keyPair>): Pem => ({
    cert: forge.pki.certificateToPem(cert),
    key: forge.pki.privateKeyToPem(keys.privateKey),
  });
  return { ca: pem(caCert, caKeys), server: pem(serverCert, serverKeys), client: pem(clientCert, clientKeys) };
}

/** Writes the server side where the function expects it: tls.key, tls.crt, ca.crt. */
export function writeServerCerts(dir: string, pki: TestPki): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'tls.key'), pki.server.key);
  writeFileSync(join(dir, 'tls.crt'), pki.server.cert);
  writeFileSync(join(dir, 'ca.crt'), pki.ca.cert);
}
