export interface BenchSettings {
  /** Postbacks in each measured run. */
  n: number;
  /** Unmeasured requests first: JIT, connection pools, Redis script cache. */
  warmup: number;
  concurrency: number;
  /** The unsaturated latency run after the main one: this many postbacks at this rate. */
  paced: { n: number; ratePerSec: number };
  /** A wait with no progress for this long means something is stuck. */
  stallMs: number;
  /** Longest wait for all deliveries of one run to reach the tracker. */
  deliveryTimeoutMs: number;
  /** A run with more failed requests than this is not a measurement. */
  maxErrorRatio: number;
  /**
   * The open-loop run: requests leave on a fixed schedule at `ratePerSec` for
   * `seconds`, whatever the answers; at most `maxOutstanding` unanswered at
   * once (beyond that a scheduled request is dropped and counted), over up to
   * `connections` keep-alive connections. `baseline`: the minimal relay is run
   * under the same load for comparison.
   */
  open: { ratePerSec: number; seconds: number; maxOutstanding: number; connections: number; baseline: boolean };
  /** Postbacks per variant of the Redis memory phase. */
  memoryN: number;
  /** The bench's temp dir; everything it creates lives under it. */
  tmpDir: string;
}
