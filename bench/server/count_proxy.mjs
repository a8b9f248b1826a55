// A counting TCP proxy (bench-only): forwards every connection on a loopback
// port to TARGET byte for byte and counts the bytes each way, so the bytes
// that pass through a server are measured on the wire, whatever the server
// is written in (/proc/<pid>/io does not count socket recv/send).
//
//   node bench/server/count_proxy.mjs TARGET_PORT
//
// Prints `{"port": N}` once listening; on SIGTERM prints
// `{"port", "up", "down", "connections"}` (up: client to target) and exits;
// SIGUSR1 sets the counts back to 0 (after a server's readiness checks).
import net from 'node:net';

const target = Number(process.argv[2]);
if (!Number.isInteger(target) || target <= 0) {
  console.error('usage: count_proxy.mjs TARGET_PORT');
  process.exit(2);
}
let up = 0;
let down = 0;
let connections = 0;
const server = net.createServer((client) => {
  connections += 1;
  const upstream = net.connect(target, '127.0.0.1');
  client.on('data', (d) => (up += d.length));
  upstream.on('data', (d) => (down += d.length));
  client.pipe(upstream);
  upstream.pipe(client);
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close);
  upstream.on('error', close);
  client.on('close', close);
  upstream.on('close', close);
});
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ port: server.address().port }));
});
process.on('SIGUSR1', () => {
  up = 0;
  down = 0;
  connections = 0;
});
process.on('SIGTERM', () => {
  console.log(JSON.stringify({ port: server.address().port, up, down, connections }));
  process.exit(0);
});
