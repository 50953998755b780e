import { fileURLToPath } from 'node:url';
import { startNode } from '../lib/children.js';
import { waitForReady } from '../lib/ipc.js';
import { measureAccept, type AcceptFigures, type CpuFigures } from '../lib/measure.js';
import type { Noise } from '../lib/noise.js';
import type { BenchSettings } from '../lib/settings.js';

export interface FastifyBareResult {
  accept: AcceptFigures;
  cpu: CpuFigures;
  noise: Noise;
}

export async function runFastifyBare(settings: BenchSettings): Promise<FastifyBareResult> {
  const server = startNode('fastify-bare', fileURLToPath(new URL('../baselines/fastify-bare.ts', import.meta.url)), {
    ipc: true,
  });
  try {
    const { port } = await waitForReady<{ port: number }>(server);
    return await measureAccept(
      { name: 'fastify-bare', origin: `http://127.0.0.1:${port}`, cpuPids: [server.pid], guards: [server] },
      settings,
    );
  } finally {
    await server.stop();
  }
}
