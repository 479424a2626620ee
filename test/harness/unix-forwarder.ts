// Runs inside a lab namespace: accepts connections on a Unix socket (the filesystem is shared
// across namespaces) and pipes each to HOST:PORT as seen from inside that namespace.
// Usage: node unix-forwarder.ts SOCKET_PATH HOST PORT
import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import { createRelayServer, exitWhenSignalled } from './socket-relay.ts';

const [socketPath, host, portText] = process.argv.slice(2);
if (!socketPath || !host || !portText) {
  process.stderr.write('usage: unix-forwarder.ts SOCKET_PATH HOST PORT\n');
  process.exit(2);
}
rmSync(socketPath, { force: true });
const server = createRelayServer(() => connect(Number(portText), host));
server.listen(socketPath, () => process.stdout.write(`${JSON.stringify({ msg: 'forwarder ready', socketPath })}\n`));
exitWhenSignalled(server);
