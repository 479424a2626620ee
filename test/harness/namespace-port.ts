// Makes a TCP port inside a lab namespace reachable on 127.0.0.1 in the root namespace,
// without adding any interface to it: a forwarder process inside the namespace listens on a
// Unix socket, and this process relays 127.0.0.1:<port> to that socket.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Lab } from '../lab/lab.ts';
import { createRelayServer } from './socket-relay.ts';

const forwarderEntry = fileURLToPath(new URL('./unix-forwarder.ts', import.meta.url));

export interface ForwardedPort {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function forwardNamespacePort(lab: Lab, ns: string, host: string, port: number): Promise<ForwardedPort> {
  const dir = mkdtempSync(join(tmpdir(), 'netsentry-fwd-'));
  const socketPath = join(dir, 'port.sock');
  const forwarder = lab.start(ns, [process.execPath, forwarderEntry, socketPath, host, String(port)], { name: `forwarder-${port}` });
  const deadline = Date.now() + 10_000;
  while (!forwarder.output().includes('forwarder ready')) {
    if (Date.now() > deadline) throw new Error(`forwarder did not start: ${forwarder.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const open = new Set<Socket>();
  const relay: Server = createRelayServer(() => connect(socketPath), open);
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const address = relay.address();
  const localPort = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${localPort}`,
    port: localPort,
    close: async () => {
      const closed = new Promise<void>((resolve) => relay.close(() => resolve()));
      for (const socket of open) socket.destroy();
      await closed;
      await forwarder.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
