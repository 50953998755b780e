import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { nowMs } from './clock.js';
import { announceReady, serveIpc } from './ipc.js';

/**
 * The downstream tracker: answers every `/pb` ping 200 "OK" (or the status
 * in BENCH_TRACKER_STATUS, body "ERR") and records when it arrived. It runs
 * in a process of its own so its CPU is never charged to the relay, and it
 * does as little as possible per hit so it is never the bottleneck being
 * measured.
 *
 * Hits are grouped by run tag (the click id up to its last '-'), so a warm-up
 * and the measured run never mix and nothing needs resetting between them.
 */
interface TagHits {
  /** First arrival per click id. */
  firstAt: Map<string, number>;
  txid: Map<string, string>;
  payout: Map<string, string>;
  total: number;
}

/** BENCH_TRACKER_STATUS: the status every ping is answered with (200 by default; 500 makes every attempt a retry). */
const STATUS = Number(process.env.BENCH_TRACKER_STATUS ?? '200');
const BODY = STATUS === 200 ? 'OK' : 'ERR';

const byTag = new Map<string, TagHits>();
let malformed = 0;

function hitsOf(tag: string): TagHits {
  let hits = byTag.get(tag);
  if (!hits) {
    hits = { firstAt: new Map(), txid: new Map(), payout: new Map(), total: 0 };
    byTag.set(tag, hits);
  }
  return hits;
}

const server = createServer((req, res) => {
  const at = nowMs();
  const url = req.url ?? '';
  if (req.method === 'GET' && url.startsWith('/pb?')) {
    const query = new URLSearchParams(url.slice(4));
    const cid = query.get('cid') ?? '';
    const dash = cid.lastIndexOf('-');
    if (dash <= 0) {
      malformed += 1;
    } else {
      const hits = hitsOf(cid.slice(0, dash));
      hits.total += 1;
      if (!hits.firstAt.has(cid)) {
        hits.firstAt.set(cid, at);
        hits.txid.set(cid, query.get('txid') ?? '');
        hits.payout.set(cid, query.get('payout') ?? '');
      }
    }
    res.writeHead(STATUS, { 'content-type': 'text/plain', 'content-length': String(BODY.length) });
    res.end(BODY);
    return;
  }
  res.writeHead(404, { 'content-length': '0' });
  res.end();
});
// Longer than any pause in a run, so the relay's keep-alive connections are not closed under it mid-bench.
server.keepAliveTimeout = 60_000;

serveIpc({
  count(tag: string) {
    const hits = byTag.get(tag);
    return { unique: hits?.firstAt.size ?? 0, total: hits?.total ?? 0, malformed };
  },
  dump(tag: string) {
    const hits = hitsOf(tag);
    return {
      total: hits.total,
      malformed,
      hits: [...hits.firstAt].map(([cid, at]) => [cid, at, hits.txid.get(cid), hits.payout.get(cid)]),
    };
  },
});

server.listen(0, '127.0.0.1', () => announceReady({ port: (server.address() as AddressInfo).port }));
