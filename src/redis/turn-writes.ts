import type { Writable } from 'node:stream';
import type { Redis } from 'ioredis';
import type { RedisClient } from './connection.js';

/**
 * The Redis connections whose writes a turn's batch flush sends together.
 *
 * Each command ioredis sends is a `write(2)` on its socket, and on a
 * loopback or a VM a write that wakes Redis costs tens of microseconds of
 * kernel time whatever its size (in the bench's profile, 65 µs per write of
 * a BullMQ fetch). The worker's batches (records, indexes, status links,
 * host leases…) each flush once per turn, all in the same `setImmediate`
 * (see tick-batcher.ts); with the connections corked while they do, the
 * scripts of a turn leave in one `writev(2)` per connection, at the end of
 * that same callback: no command waits longer than before.
 *
 * Process-wide on purpose, like the event loop it follows: two relays in one
 * process share their turns, and corking a socket that nothing writes to
 * costs nothing.
 */
const sockets = new Set<Writable>();

/** Every connection `client` opens (a reconnect opens a new one; a cluster, one per node) joins the set. */
export function coalesceTurnWrites(client: RedisClient): void {
  const track = (connection: Redis): void => {
    connection.on('connect', () => {
      const socket = connection.stream;
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
  };
  if ('isCluster' in client && client.isCluster) client.on('+node', track);
  else track(client as Redis);
}

/** Runs `flush` with every tracked connection corked: what it writes synchronously leaves in one write each. */
export function withTurnWritesCoalesced(flush: () => void, connections: Iterable<Writable> = sockets): void {
  const corked = [...connections];
  for (const socket of corked) socket.cork();
  try {
    flush();
  } finally {
    for (const socket of corked) socket.uncork();
  }
}
