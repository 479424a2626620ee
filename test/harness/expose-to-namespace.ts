// Makes a TCP server of the test process (on 127.0.0.1) reachable on 127.0.0.1 inside a lab
// namespace: a Unix socket here, a reverse-forwarder process there. In the root namespace
// (ns null) the port is reachable as it is.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Lab } from '../lab/lab.ts';
import { createRelayServer } from './socket-relay.ts';

const forwarderEntry = fileURLToPath(new URL('./reverse-forwarder.ts', import.meta.url));

export async function exposeToNamespace(lab: Lab, ns: string | null, port: number): Promise<{ port: number; close(): Promise<void> }> {
  if (ns === null) return { port, close: async () => undefined };
  const dir = mkdtempSync(join(tmpdir(), 'netsentry-rfwd-'));
  const socketPath = join(dir, 'port.sock');
  const open = new Set<Socket>();
  const relay = createRelayServer(() => connect(port, '127.0.0.1'), open);
  await new Promise<void>((resolve) => relay.listen(socketPath, resolve));
  const forwarder = lab.start(ns, [process.execPath, forwarderEntry, socketPath], { name: `reverse-forwarder-${port}` });
  const deadline = Date.now() + 10_000;
  let inside = 0;
  while (inside === 0) {
    const line = forwarder
      .output()
      .split('\n')
      .find((l) => l.includes('reverse forwarder ready'));
    if (line) inside = (JSON.parse(line) as { port: number }).port;
    else if (Date.now() > deadline) throw new Error(`reverse forwarder did not start: ${forwarder.output()}`);
    else await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    port: inside,
    close: async () => {
      await forwarder.stop('SIGTERM');
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => relay.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
