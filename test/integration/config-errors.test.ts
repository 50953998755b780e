import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'vitest';

const MAIN = resolve('src/main.ts');
const TSX = import.meta.resolve('tsx');

/** Starts the process entry as operators do, in `cwd`, and waits for it to exit. */
function runRelay(env: Record<string, string>, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', TSX, MAIN], {
      cwd,
      // No Redis is given: a relay that got past its configuration would hang looking for one, and the test time out.
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PORT: '0', HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('error', fail);
    child.once('exit', (code) => done({ code, stdout, stderr }));
  });
}

/** A working directory with `config/default.json` holding `config` (as text when a string). */
function dirWithDefaultConfig(config: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'relay-cwd-'));
  mkdirSync(join(dir, 'config'));
  writeFileSync(join(dir, 'config', 'default.json'), typeof config === 'string' ? config : JSON.stringify(config));
  return dir;
}

const emptyDir = () => mkdtempSync(join(tmpdir(), 'relay-cwd-'));

describe('a bad configuration stops the relay with exit code 78 and one line on stderr', () => {
  // The other messages are unit-tested on loadConfig (test/unit/config); these prove the process prints them so.
  it.concurrent.for<{ what: string; cwd: () => string; env: Record<string, string>; line: string | RegExp }>([
    {
      what: 'an unknown key in the default config file',
      cwd: () => dirWithDefaultConfig({ http: { port: 8080 }, delivery: { timout_ms: 5000 } }),
      env: {},
      line: 'config/default.json: unknown key "delivery.timout_ms"',
    },
    {
      what: 'a file that is not JSON',
      cwd: () => dirWithDefaultConfig('{ "http": { port: 1 } }'),
      env: {},
      line: /^config\/default\.json: not valid JSON: .+$/,
    },
    {
      what: 'a CIDR with a bad prefix',
      cwd: emptyDir,
      env: { DELIVERY_ALLOW_CIDRS: '127.0.0.0/8,10.0.0.0/33' },
      line: 'DELIVERY_ALLOW_CIDRS: "10.0.0.0/33" is not a CIDR',
    },
    {
      what: 'several bad variables at once',
      cwd: emptyDir,
      env: { RELAY_ROLE: 'boss', LOG_LEVEL: 'loud', DELIVERY_RETRY_DELAYS_MS: '1000,soon' },
      line: 'RELAY_ROLE: "boss" is not one of all, receiver, worker; DELIVERY_RETRY_DELAYS_MS: "soon" is not a whole number of milliseconds; LOG_LEVEL: "loud" is not one of fatal, error, warn, info, debug, trace, silent',
    },
  ])('$what', async ({ cwd, env, line }, { expect }) => {
    const result = await runRelay(env, cwd());
    expect(result.code, result.stderr).toBe(78);
    expect(result.stdout).toBe('');
    expect(result.stderr.endsWith('\n')).toBe(true);
    const lines = result.stderr.slice(0, -1).split('\n');
    expect(lines).toHaveLength(1);
    if (typeof line === 'string') expect(lines[0]).toBe(line);
    else expect(lines[0]).toMatch(line);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
