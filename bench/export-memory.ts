/**
 * `node --expose-gc --max-old-space-size=40 --max-semi-space-size=4 --import tsx bench/export-memory.ts`
 * (or plain `npx tsx bench/export-memory.ts`): an export of EXPORT_N conversions
 * (default 100,000) and the memory it takes. The ledger records them on a
 * fresh redis-server (as the worker does), then the relay's export
 * (sendExport, the function GET /v1/conversions?format=… answers with)
 * streams them over real HTTP to a client that reads and discards the
 * bytes. Heap and RSS of the process are sampled every 10 ms: the peak over
 * the baseline is what the export holds, whatever N. Under the 40 MB heap
 * limit above, an export that held its rows (tens of MB for 100,000) could
 * not finish.
 */
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { inBatches, syntheticConversion, withSyntheticStore } from './lib/synthetic-conversions.js';
import { sendExport, type ExportFormat } from '../src/admin/conversion-export.js';

const N = Number(process.env.EXPORT_N ?? 100_000);
const MB = 1024 * 1024;

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function main(): Promise<void> {
  await withSyntheticStore('export', { autoPipelining: true }, async ({ ledger }) => {
    const start = Date.now() - N * 10;
    await inBatches(N, 500, (i, j, batchId) =>
      ledger.saveUndelivered(
        { ...syntheticConversion(i, `${batchId}-${j}`, start + i * 10), sub1: `campaign-${i % 50}` },
        'no_postback',
        'no template',
      ),
    );

    const app = Fastify();
    app.get<{ Querystring: { format: ExportFormat } }>('/export', (request, reply) =>
      sendExport(reply, request.query.format, ledger, {}),
    );
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;

    console.log(
      `export of ${N.toLocaleString('en')} conversions (node ${process.version}${(globalThis as { gc?: unknown }).gc ? ', gc before each' : ''})`,
    );
    for (const format of ['csv', 'ndjson', 'csv'] as const) {
      gc();
      const base = process.memoryUsage();
      let peakHeap = base.heapUsed;
      let peakRss = base.rss;
      const sampler = setInterval(() => {
        const now = process.memoryUsage();
        peakHeap = Math.max(peakHeap, now.heapUsed);
        peakRss = Math.max(peakRss, now.rss);
      }, 10);
      const began = Date.now();
      const response = await fetch(`http://127.0.0.1:${port}/export?format=${format}`);
      let bytes = 0;
      let lines = 0;
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        bytes += chunk.length;
        for (const byte of chunk) if (byte === 10) lines += 1;
      }
      clearInterval(sampler);
      const seconds = (Date.now() - began) / 1000;
      console.log(
        `  ${format.padEnd(6)} ${lines.toLocaleString('en')} lines, ${(bytes / MB).toFixed(1)} MB in ${seconds.toFixed(1)} s ` +
          `(${Math.round(N / seconds).toLocaleString('en')}/s); peak over baseline: heap ${((peakHeap - base.heapUsed) / MB).toFixed(1)} MB, ` +
          `RSS ${((peakRss - base.rss) / MB).toFixed(1)} MB (baseline heap ${(base.heapUsed / MB).toFixed(1)} MB)`,
      );
    }
    await app.close();
  });
}

await main();
