import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { nowMs } from './clock.js';
import { processCpuSeconds } from './proc-cpu.js';

export interface Noise {
  /** CPU used by processes other than the bench's, as a share of the machine's capacity during the window. */
  othersPercent: number;
  /** Time the hypervisor gave our virtual CPUs to someone else, as a share of capacity. */
  stealPercent: number;
}

const TICKS_PER_SECOND = 100; // /proc/stat is in USER_HZ, which Linux fixes at 100 for userspace

function machineTicks(): { busy: number; steal: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return { busy: user + nice + system + irq + softirq + steal, steal };
}

/**
 * The machine is shared: a figure measured while something else ate the CPUs
 * is not comparable with one that was not. This says how much of the
 * machine other processes (and the hypervisor) took during a measurement,
 * so a skewed ratio is flagged instead of silently reported.
 */
export function startNoiseMeter(ourPids: number[]): () => Noise {
  const ours = (): number =>
    ourPids.reduce((sum, pid) => sum + processCpuSeconds(pid), 0) + (process.cpuUsage().user + process.cpuUsage().system) / 1e6;
  const start = { at: nowMs(), machine: machineTicks(), ours: ours() };
  return () => {
    const wallSeconds = (nowMs() - start.at) / 1000;
    const machine = machineTicks();
    const capacity = wallSeconds * cpus().length;
    const busySeconds = (machine.busy - start.machine.busy) / TICKS_PER_SECOND;
    const othersSeconds = Math.max(0, busySeconds - (ours() - start.ours));
    return {
      othersPercent: capacity > 0 ? (othersSeconds / capacity) * 100 : Number.NaN,
      stealPercent: capacity > 0 ? ((machine.steal - start.machine.steal) / TICKS_PER_SECOND / capacity) * 100 : Number.NaN,
    };
  };
}
