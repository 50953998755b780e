import { fork, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root: children run from here so `--import tsx` and `src/` resolve as they do for `npm start`. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** SIGKILL was needed because the child ignored SIGTERM for the whole grace period. */
  forced: boolean;
}

export interface ManagedChild {
  name: string;
  proc: ChildProcess;
  pid: number;
  /**
   * Rejects as soon as the child exits without being asked to. Race it
   * against every wait, so a crash fails the phase at once instead of
   * surfacing later as a timeout.
   */
  died: Promise<never>;
  /** The last ~32 KB the child wrote to stdout and stderr, for failure reports. */
  output(): string;
  stop(graceMs?: number): Promise<ExitStatus>;
}

const OUTPUT_TAIL_BYTES = 32 * 1024;
const live = new Set<ManagedChild>();

function manage(name: string, proc: ChildProcess): ManagedChild {
  if (proc.pid === undefined) throw new Error(`${name}: could not be started`);
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString()).slice(-OUTPUT_TAIL_BYTES);
  };
  // Always drained: a child blocked on a full stdout pipe would look like a slow relay.
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);

  let stopping = false;
  let exitStatus: ExitStatus | undefined;
  const exited = new Promise<ExitStatus>((resolve) => {
    proc.once('exit', (code, signal) => {
      exitStatus = { code, signal, forced: false };
      live.delete(child);
      resolve(exitStatus);
    });
  });
  const died = new Promise<never>((_resolve, reject) => {
    // `on`, not `once`: a later error (say, a send on a closed channel) must not become an uncaught exception.
    proc.on('error', (error) => reject(new Error(`${name}: ${error.message}`)));
    void exited.then(({ code, signal }) => {
      if (!stopping) reject(new Error(`${name} exited unexpectedly (code ${code}, signal ${signal})${formatTail(tail)}`));
    });
  });
  died.catch(() => {}); // observed through races; an unraced crash must not kill the bench as an unhandled rejection

  const child: ManagedChild = {
    name,
    proc,
    pid: proc.pid,
    died,
    output: () => tail,
    async stop(graceMs = 5_000) {
      stopping = true;
      if (exitStatus) return exitStatus;
      proc.kill('SIGTERM');
      const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceMs).unref());
      if ((await Promise.race([exited, timer])) === 'timeout') {
        proc.kill('SIGKILL');
        return { ...(await exited), forced: true };
      }
      return exited;
    },
  };
  live.add(child);
  return child;
}

function formatTail(tail: string): string {
  const lines = tail.trimEnd().split('\n').slice(-20);
  return lines.length && lines[0] ? `\n--- last output ---\n${lines.join('\n')}\n-------------------` : '';
}

/** A TypeScript entry point run the way the relay runs: `node --import tsx <script>`, with an IPC channel if asked. */
export function startNode(
  name: string,
  script: string,
  options: {
    env?: Record<string, string>;
    args?: string[];
    ipc?: boolean;
    inheritEnv?: boolean;
    nodeArgs?: string[];
    /** Where the script (a relative path) is found: another checkout of the relay, for `bench/ab.ts`. */
    cwd?: string;
  } = {},
): ManagedChild {
  const nodeArgs = ['--import', 'tsx', ...(options.nodeArgs ?? [])];
  const env = options.inheritEnv === false ? { ...options.env } : { ...process.env, ...options.env };
  const proc = options.ipc
    ? fork(script, options.args ?? [], {
        cwd: options.cwd ?? REPO_ROOT,
        env,
        execArgv: nodeArgs,
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      })
    : spawn(process.execPath, [...nodeArgs, script, ...(options.args ?? [])], {
        cwd: options.cwd ?? REPO_ROOT,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
  return manage(name, proc);
}

export function startProgram(name: string, command: string, args: string[]): ManagedChild {
  return manage(name, spawn(command, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** Resolves with the promise's value, or rejects as soon as any of the children dies. */
export function guard<T>(promise: Promise<T>, children: ManagedChild[]): Promise<T> {
  return Promise.race([promise, ...children.map((child) => child.died)]);
}

/** Stops every child still running, in parallel (used on failure, Ctrl-C and the hard timeout). */
export async function stopAllChildren(graceMs = 3_000): Promise<void> {
  await Promise.all([...live].map((child) => child.stop(graceMs).catch(() => {})));
}
