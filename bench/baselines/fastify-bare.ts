import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { announceReady, serveIpc } from '../lib/ipc.js';

/**
 * Baseline "Fastify bare": the same route answering the same JSON, touching
 * nothing. What the relay's receiver costs beyond this is its own work
 * (auth, validation, dedupe, the Redis round trip).
 */
const app = Fastify({ logger: false });

app.get('/postback/:source', async () => ({ status: 'accepted', id: randomUUID() }));

serveIpc({});
await app.listen({ port: 0, host: '127.0.0.1' });
announceReady({ port: (app.server.address() as AddressInfo).port });
