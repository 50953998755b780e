import { createServer, type AddressInfo } from 'node:net';

/** A loopback port free right now (the relay takes its port from PORT, so it cannot report one it chose itself). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
