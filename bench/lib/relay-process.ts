import { fileURLToPath } from 'node:url';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { guard, REPO_ROOT, startNode, type ManagedChild } from './children.js';
import { nowMs } from './clock.js';
import { freePort } from './free-port.js';
import type { BenchRedis } from './redis-server.js';
import type { BenchSettings } from './settings.js';
import { waitForHttpOk } from './wait.js';

export const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';

/** Contract variables a developer's shell might hold; none may leak into the relay under test. */
const CONTRACT_VARIABLES = [
  'PORT',
  'HOST',
  'REDIS_URL',
  'ADMIN_TOKEN',
  'RELAY_ROLE',
  'RELAY_CONFIG',
  'DELIVERY_ALLOW_CIDRS',
  'DELIVERY_RETRY_DELAYS_MS',
  'DELIVERY_TIMEOUT_MS',
  'LOG_LEVEL',
  'NODE_ENV',
];

/** The counters the relay phase reports by default: what it received, routed and attempted. */
export const CONVERSION_COUNTERS =
  /^postback_relay_(?:conversions_received_total|conversions_routed_total|delivery_attempts_total|deliveries_total|queue_jobs)$/;

export interface RelayShutdown {
  ms: number;
  code: number | null;
  signal: string | null;
  forced: boolean;
}

export interface RelayProcess {
  child: ManagedChild;
  origin: string;
  /** Log lines at warn or above so far, and a few of them. */
  warn: { lines: number; samples: string[] };
  /** `PUT` on the admin API with the bench's token; anything but 200/201 throws. */
  adminPut(path: string, body: unknown): Promise<void>;
  /** The relay's own counters from /metrics whose name matches `names` (default: the conversion counters). */
  readCounters(names?: RegExp): Promise<Record<string, number>>;
  /** The last lines the relay wrote, for failure reports. */
  outputTail(lines?: number): string;
  /** SIGTERM, and how long the relay took to exit (killed after 30 s). */
  stop(): Promise<RelayShutdown>;
}

const PROFILE_DIR = fileURLToPath(new URL('../results/', import.meta.url));

/**
 * The Node flags `npm start` gives the relay (its `scripts.start` in
 * package.json), so the bench runs it with whatever runtime tuning it ships
 * with. The bench itself runs `src/main.ts` through tsx, as before the build.
 */
function startScriptNodeFlags(root: string): string[] {
  const packageJson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const words = packageJson.scripts.start.split(/\s+/);
  // `dist/main.js` since the production build; older checkouts (bench/ab.ts) ran `src/main.ts` through tsx.
  if (words[0] !== 'node' || !['dist/main.js', 'src/main.ts'].includes(words.at(-1) ?? '')) {
    throw new Error(`unexpected start script: ${packageJson.scripts.start}`);
  }
  const flags = words.slice(1, -1);
  const tsx = flags.indexOf('tsx');
  if (tsx > 0 && flags[tsx - 1] === '--import') flags.splice(tsx - 1, 2);
  return flags;
}

/**
 * The relay as an operator runs it (`npm start`'s flags), from source: `node <flags> --import tsx src/main.ts`,
 * configured through env only (no leaked shell variables), on a free
 * loopback port, against the phase's own Redis; resolves once /readyz answers.
 */
export async function startRelayProcess(
  name: string,
  redis: BenchRedis,
  settings: BenchSettings,
  options: {
    nodeArgs?: string[];
    /** Another checkout of the relay to run instead of this one (`bench/ab.ts`). */
    root?: string;
    /** Merged into the config file (top-level sections replaced whole, except `audit`, whose log goes to a file in the bench's temp dir). */
    config?: Record<string, unknown>;
    /** Contract variables on top of the bench's (RELAY_ROLE, DELIVERY_RETRY_DELAYS_MS, …). */
    env?: Record<string, string>;
  } = {},
): Promise<RelayProcess> {
  const configPath = join(settings.tmpDir, `${name.replace(/[^A-Za-z0-9]+/g, '-').replace(/-$/, '')}-config.json`);
  const audit = (options.config?.audit ?? {}) as Record<string, unknown>;
  // The audit log is on, as operators run it: JSON lines to a file of the bench's.
  const auditLog = configPath.replace(/-config\.json$/, '-audit.jsonl');
  writeFileSync(configPath, JSON.stringify({ ...options.config, audit: { ...audit, log: auditLog } }));
  const port = await freePort();
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !CONTRACT_VARIABLES.includes(key)) env[key] = value;
  }
  Object.assign(env, {
    REDIS_URL: redis.url,
    PORT: String(port),
    HOST: '127.0.0.1',
    ADMIN_TOKEN,
    DELIVERY_ALLOW_CIDRS: '127.0.0.0/8',
    LOG_LEVEL: 'warn',
    RELAY_CONFIG: configPath,
    NODE_ENV: 'production',
    ...options.env,
  });
  // BENCH_RELAY_CPU_PROF=1: a V8 profile of every relay process, written when it exits (summarise with bench/profile-summary.ts).
  const profile = process.env.BENCH_RELAY_CPU_PROF === '1' ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  const root = options.root ?? REPO_ROOT;
  const child = startNode(name, 'src/main.ts', {
    env,
    inheritEnv: false,
    cwd: root,
    nodeArgs: [...startScriptNodeFlags(root), ...profile, ...(options.nodeArgs ?? [])],
  });
  const warn = { lines: 0, samples: [] as string[] };
  watchWarnings(child, warn);
  const origin = `http://127.0.0.1:${port}`;
  try {
    await guard(waitForHttpOk(`${origin}/readyz`, 30_000), [child]);
  } catch (error) {
    await child.stop(3_000);
    throw error;
  }
  return {
    child,
    origin,
    warn,
    adminPut: (path, body) => adminPut(name, origin, path, body),
    readCounters: (names = CONVERSION_COUNTERS) => readCounters(origin, names),
    outputTail: (lines = 20) => child.output().trimEnd().split('\n').slice(-lines).join('\n'),
    async stop() {
      const start = nowMs();
      // shutdownGraceMs (15 s) + 10 s is when the relay forces its own exit; past that it is hung.
      const status = await child.stop(30_000);
      return { ms: Math.round(nowMs() - start), code: status.code, signal: status.signal, forced: status.forced };
    },
  };
}

async function adminPut(name: string, origin: string, path: string, body: unknown): Promise<void> {
  const response = await fetch(`${origin}${path}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (response.status !== 200 && response.status !== 201) {
    throw new Error(`${name}: PUT ${path} answered ${response.status} ${text.slice(0, 300)}`);
  }
}

async function readCounters(origin: string, names: RegExp): Promise<Record<string, number>> {
  const response = await fetch(`${origin}/metrics`, { signal: AbortSignal.timeout(10_000) });
  const counters: Record<string, number> = {};
  for (const line of (await response.text()).split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? ([0-9.eE+-]+)$/.exec(line);
    if (match && names.test(match[1]!)) counters[`${match[1]!}${match[2] ?? ''}`] = Number(match[3]);
  }
  return counters;
}

/** Counts pino lines at warn (40) or above: under a clean load the relay should log nothing. */
function watchWarnings(relay: ManagedChild, warn: { lines: number; samples: string[] }): void {
  let partial = '';
  const onData = (chunk: Buffer): void => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const level = /"level":(\d+)/.exec(line)?.[1];
      if (level === undefined ? line.trim() === '' : Number(level) < 40) continue;
      warn.lines += 1;
      if (warn.samples.length < 5) warn.samples.push(line.slice(0, 500));
    }
  };
  relay.proc.stdout?.on('data', onData);
  relay.proc.stderr?.on('data', onData);
}
