// Runs inside a lab namespace: accepts connections on a Unix socket (the filesystem is shared
// across namespaces) and pipes each to HOST:PORT as seen from inside that namespace.
// Usage: node unix-forwarder.ts SOCKET_PATH HOST PORT
import { rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';

const [socketPath, host, portText] = process.argv.slice(2);
if (!socketPath || !host || !portText) {
  process.stderr.write('usage: unix-forwarder.ts SOCKET_PATH HOST PORT\n');
  process.exit(2);
}
rmSync(socketPath, { force: true });
const server = createServer((client) => {
  const upstream = connect(Number(portText), host);
  client.pipe(upstream).pipe(client);
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close);
  upstream.on('error', close);
});
server.listen(socketPath, () => process.stdout.write(`${JSON.stringify({ msg: 'forwarder ready', socketPath })}\n`));
const stop = () => server.close(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
