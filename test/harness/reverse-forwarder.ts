// Runs inside a lab namespace: listens on 127.0.0.1:0 there and pipes each connection to a
// Unix socket (the filesystem is shared across namespaces) served by the test process — the
// reverse of unix-forwarder.ts, so a process in the namespace reaches a server of the test.
// Usage: node reverse-forwarder.ts SOCKET_PATH
import { connect } from 'node:net';
import { createRelayServer, exitWhenSignalled } from './socket-relay.ts';

const [socketPath] = process.argv.slice(2);
if (!socketPath) {
  process.stderr.write('usage: reverse-forwarder.ts SOCKET_PATH\n');
  process.exit(2);
}
const server = createRelayServer(() => connect(socketPath));
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(
    `${JSON.stringify({ msg: 'reverse forwarder ready', port: typeof address === 'object' && address ? address.port : 0 })}\n`,
  );
});
exitWhenSignalled(server);
