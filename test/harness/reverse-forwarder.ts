// Runs inside a lab namespace: listens on 127.0.0.1:0 there and pipes each connection to a
// Unix socket (the filesystem is shared across namespaces) served by the test process — the
// reverse of unix-forwarder.ts, so a process in the namespace reaches a server of the test.
// Usage: node reverse-forwarder.ts SOCKET_PATH
import { connect, createServer } from 'node:net';

const [socketPath] = process.argv.slice(2);
if (!socketPath) {
  process.stderr.write('usage: reverse-forwarder.ts SOCKET_PATH\n');
  process.exit(2);
}
const server = createServer((client) => {
  const upstream = connect(socketPath);
  client.pipe(upstream).pipe(client);
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close);
  upstream.on('error', close);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ msg: 'reverse forwarder ready', port: typeof address === 'object' && address ? address.port : 0 })}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
