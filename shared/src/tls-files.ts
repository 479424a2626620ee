// PEM certificate, key and CA files, checked before gRPC sees them, so a wrong file is a clear
// message naming the file rather than an OpenSSL error on the first handshake.
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';

export interface CertificateSummary {
  subject: string;
  subjectAltName: string | undefined;
  validTo: string;
  fingerprint256: string;
}

const pemBlocks = (text: string, label: string): string[] =>
  text.match(new RegExp(`-----BEGIN ${label}-----[\\s\\S]*?-----END ${label}-----`, 'g')) ?? [];

/** Every certificate in a PEM bundle; throws when there is none or one does not parse. */
export function parseCertificates(pem: Buffer, what: string): X509Certificate[] {
  const blocks = pemBlocks(pem.toString('utf8'), 'CERTIFICATE');
  if (blocks.length === 0) throw new Error(`${what} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (err) {
      throw new Error(`${what}: certificate ${i + 1} does not parse (${(err as Error).message})`, { cause: err });
    }
  });
}

function parseKey(pem: Buffer, what: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (err) {
    throw new Error(`${what} holds no usable PEM private key (${(err as Error).message})`, { cause: err });
  }
}

export const summarize = (cert: X509Certificate): CertificateSummary => ({
  subject: cert.subject.replaceAll('\n', ', '),
  subjectAltName: cert.subjectAltName,
  validTo: cert.validTo,
  fingerprint256: cert.fingerprint256,
});

/** A certificate chain and its key: both parse and the key belongs to the first certificate. */
export function checkKeyPair(certPem: Buffer, keyPem: Buffer, names = { cert: 'certificate file', key: 'key file' }): CertificateSummary {
  const [leaf] = parseCertificates(certPem, names.cert);
  const key = parseKey(keyPem, names.key);
  if (!leaf!.checkPrivateKey(key)) throw new Error(`the key does not belong to the certificate (${leaf!.subject.replaceAll('\n', ', ')})`);
  return summarize(leaf!);
}

/** A CA bundle: at least one certificate, and all of them parse. */
export function checkCaBundle(caPem: Buffer, name = 'CA file'): CertificateSummary[] {
  return parseCertificates(caPem, name).map(summarize);
}
