// A TCP relay that adds a one-way delay in each direction, so the bench can
// put the browsers at a network's distance from the server (loopback has
// none). A new connection waits one round trip before its first byte goes
// on, as a TCP handshake would.
import net from 'node:net';

/** Listens on 127.0.0.1 and relays to `port` there; resolves with the relay's port. */
export async function latencyRelay(port, oneWayMs) {
  const open = new Set();
  const relay = net.createServer((client) => {
    client.pause();
    const upstream = net.connect(port, '127.0.0.1');
    open.add(client).add(upstream);
    // Timers of equal delay fire in the order they were set: bytes keep their order.
    const forward = (from, to) => from.on('data', (chunk) => setTimeout(() => to.write(chunk), oneWayMs));
    forward(client, upstream);
    forward(upstream, client);
    const close = () => setTimeout(() => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    }, oneWayMs);
    for (const end of [client, upstream]) {
      end.on('close', close);
      end.on('error', close);
    }
    setTimeout(() => client.resume(), 2 * oneWayMs);
  });
  await new Promise((listening) => relay.listen(0, '127.0.0.1', listening));
  return {
    port: relay.address().port,
    close: () => {
      for (const socket of open) socket.destroy();
      return new Promise((closed) => relay.close(closed));
    },
  };
}
