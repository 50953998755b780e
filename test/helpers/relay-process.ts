import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_TOKEN } from './relay-harness.js';

export interface RelayProcess {
  child: ChildProcess;
  origin: string;
  output: () => string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  fetch(path: string, init?: RequestInit & { admin?: boolean }): Promise<{ status: number; body: any }>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Writes a config file for a relay child process and returns its path. */
export function writeConfigFile(config: Record<string, unknown>): string {
  const path = join(mkdtempSync(join(tmpdir(), 'relay-config-')), 'config.json');
  writeFileSync(path, JSON.stringify(config));
  return path;
}

/** Runs `src/main.ts` as a real process, the way operators start it. */
export async function spawnRelay(env: Record<string, string>, options: { waitReady?: boolean } = {}): Promise<RelayProcess> {
  const port = env.PORT ?? String(await freePort());
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: process.cwd(),
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      HOST: '127.0.0.1',
      PORT: port,
      ADMIN_TOKEN,
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  const origin = `http://127.0.0.1:${port}`;
  const relay: RelayProcess = {
    child,
    origin,
    output: () => output,
    exited,
    async fetch(path, init = {}) {
      const { admin, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (admin) headers.set('authorization', `Bearer ${ADMIN_TOKEN}`);
      if (rest.body) headers.set('content-type', 'application/json');
      const response = await fetch(origin + path, { ...rest, headers });
      const text = await response.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
      return { status: response.status, body };
    },
  };
  if (options.waitReady !== false) {
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`relay exited early:\n${output}`);
      try {
        if ((await relay.fetch('/readyz')).status === 200) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`relay not ready:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return relay;
}
