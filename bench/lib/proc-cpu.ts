import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { sleep } from './clock.js';

const CLOCK_TICKS_PER_SECOND = readClockTicks();

function readClockTicks(): number {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
}

/**
 * User + system CPU seconds of a process. /proc/<pid>/stat of the thread-group
 * leader already sums every thread, including exited ones (libuv pool, the
 * tsx loader thread, GC helpers), which summing /proc/<pid>/task/* would miss.
 */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses; fields are counted after its closing ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`cannot parse /proc/${pid}/stat`);
  return (utime + stime) / CLOCK_TICKS_PER_SECOND;
}

/**
 * Waits until the processes go quiet (at most one clock tick of CPU over a
 * window), so bookkeeping that runs after the last delivery (ledger writes,
 * job completion) is charged to the run, while idle time is not.
 */
export async function waitForQuietCpu(pids: number[], options: { windowMs?: number; capMs?: number } = {}): Promise<void> {
  const windowMs = options.windowMs ?? 300;
  const deadline = Date.now() + (options.capMs ?? 5_000);
  const total = () => pids.reduce((sum, pid) => sum + processCpuSeconds(pid), 0);
  let previous = total();
  while (Date.now() < deadline) {
    await sleep(windowMs);
    const current = total();
    if (current - previous <= 1 / CLOCK_TICKS_PER_SECOND + 1e-9) return;
    previous = current;
  }
}
