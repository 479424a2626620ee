// One relay for the lab's port forwarders: every accepted connection is piped both ways to a
// fresh upstream socket, and an error on either side tears down both.
import { createServer, type Server, type Socket } from 'node:net';

export function createRelayServer(connectUpstream: () => Socket, open?: Set<Socket>): Server {
  return createServer((client) => {
    const upstream = connectUpstream();
    if (open) {
      open.add(client);
      client.on('close', () => open.delete(client));
    }
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
  });
}

/** Stops a forwarder process on SIGTERM or SIGINT once its server has closed. */
export function exitWhenSignalled(server: Server): void {
  const stop = () => server.close(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
