import { fileURLToPath } from 'node:url';
import { startNode, type ManagedChild } from './children.js';
import { IpcClient, waitForReady } from './ipc.js';

export interface TrackerCount {
  unique: number;
  total: number;
  malformed: number;
}

export interface TrackerDump {
  total: number;
  malformed: number;
  /** [click id, first receive time (epoch ms), txid, payout] */
  hits: Array<[string, number, string, string]>;
}

export interface BenchTracker {
  child: ManagedChild;
  origin: string;
  /** The template every relay under test is given: same shape for the relay and the minimal relay. */
  postbackTemplate: string;
  count(tag: string): Promise<TrackerCount>;
  dump(tag: string): Promise<TrackerDump>;
  stop(): Promise<void>;
}

/** `status`: what every ping is answered with (default 200; 500 makes the relay schedule a retry). */
export async function startTracker(name: string, options: { status?: number } = {}): Promise<BenchTracker> {
  const child = startNode(`tracker (${name})`, fileURLToPath(new URL('./tracker-child.ts', import.meta.url)), {
    ipc: true,
    env: { BENCH_TRACKER_STATUS: String(options.status ?? 200) },
  });
  const { port } = await waitForReady<{ port: number }>(child);
  const ipc = new IpcClient(child);
  const origin = `http://127.0.0.1:${port}`;
  return {
    child,
    origin,
    postbackTemplate: `${origin}/pb?cid={click_id}&payout={payout}&txid={conversion_id}`,
    count: (tag) => ipc.call<TrackerCount>('count', tag, 10_000),
    dump: (tag) => ipc.call<TrackerDump>('dump', tag, 30_000),
    async stop() {
      await child.stop(3_000);
    },
  };
}
