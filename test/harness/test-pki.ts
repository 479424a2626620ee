// A throwaway PKI for tests, made with openssl (Node's crypto cannot sign X.509): a CA, a
// collector certificate for 192.0.2.1, an agent client certificate, and an unrelated second
// CA with its own collector certificate. Everything is world-readable, because lab agents run
// as uid 65534 — these are test keys in a temp dir, never real ones.
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestPki {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** An unrelated CA and a collector certificate (same SANs) signed by it. */
  otherCaCert: string;
  otherServerCert: string;
  otherServerKey: string;
  /** Writes a file into the PKI dir, readable by every uid; returns its path. */
  write(name: string, contents: string): Promise<string>;
  remove(): Promise<void>;
}

const openssl = async (args: string[]): Promise<void> => {
  await run('openssl', args, { timeout: 20_000 });
};

async function makeCa(dir: string, name: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  await openssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { cert, key };
}

async function makeLeaf(
  dir: string,
  name: string,
  ca: { cert: string; key: string },
  extensions: string,
): Promise<{ cert: string; key: string }> {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  await writeFile(ext, extensions);
  await openssl([
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    key,
    '-out',
    csr,
    '-subj',
    `/CN=${name}`,
  ]);
  await openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-set_serial',
    `0x${Date.now().toString(16)}${Math.floor(Math.random() * 1e6).toString(16)}`,
    '-days',
    '2',
    '-out',
    cert,
    '-extfile',
    ext,
  ]);
  return { cert, key };
}

const serverExtensions =
  'subjectAltName=IP:192.0.2.1,DNS:collector.netsentry.test\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n';
const clientExtensions = 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n';

export async function createTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'netsentry-pki-'));
  try {
    const ca = await makeCa(dir, 'netsentry-test-ca');
    const server = await makeLeaf(dir, 'collector', ca, serverExtensions);
    const client = await makeLeaf(dir, 'agent', ca, clientExtensions);
    const other = await makeCa(dir, 'unrelated-ca');
    const otherServer = await makeLeaf(dir, 'collector-unrelated', other, serverExtensions);
    await chmod(dir, 0o755);
    for (const file of await readdir(dir)) await chmod(join(dir, file), 0o644);
    return {
      dir,
      caCert: ca.cert,
      serverCert: server.cert,
      serverKey: server.key,
      clientCert: client.cert,
      clientKey: client.key,
      otherCaCert: other.cert,
      otherServerCert: otherServer.cert,
      otherServerKey: otherServer.key,
      write: async (name, contents) => {
        const path = join(dir, name);
        await writeFile(path, contents, { mode: 0o644 });
        await chmod(path, 0o644);
        return path;
      },
      remove: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
