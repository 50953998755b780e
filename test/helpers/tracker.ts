import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TrackerHit {
  url: string;
  query: URLSearchParams;
  at: number;
}

export type TrackerResponder = (hit: TrackerHit, res: ServerResponse) => void;

export interface Tracker {
  /** `http://host:port` */
  origin: string;
  hits: TrackerHit[];
  /** Replaces how the next requests are answered (default: 200 "OK"). */
  respond(responder: TrackerResponder): void;
  /** Resolves once `count` hits have arrived. */
  waitForHits(count: number, timeoutMs?: number): Promise<TrackerHit[]>;
  close(): Promise<void>;
}

/** A real HTTP tracker on loopback, recording every ping it receives. */
export async function startTracker(host = '127.0.0.1'): Promise<Tracker> {
  const hits: TrackerHit[] = [];
  const waiters: Array<() => void> = [];
  let responder: TrackerResponder = (_hit, res) => res.end('OK');
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const hit = { url, query: new URL(url, 'http://tracker').searchParams, at: Date.now() };
    hits.push(hit);
    for (const wake of waiters.splice(0)) wake();
    responder(hit, res);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://${host}:${port}`,
    hits,
    respond(next) {
      responder = next;
    },
    async waitForHits(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (hits.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`tracker got ${hits.length} hits, expected ${count}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return hits.slice(0, count);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
