import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A checkout without node_modules, as after `npm ci --omit=dev` (no compiler), with or without a built dist/. */
function installWithoutCompiler(withDist: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'build-if-needed-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'tools'));
  mkdirSync(join(dir, 'src'));
  copyFileSync(join(root, 'tools/build.mjs'), join(dir, 'tools/build.mjs'));
  writeFileSync(join(dir, 'src/main.ts'), 'export {};\n');
  if (withDist) {
    mkdirSync(join(dir, 'dist'));
    writeFileSync(join(dir, 'dist/main.js'), 'export {};\n');
  }
  return dir;
}

describe('npm prestart (tools/build.mjs --if-needed) without a compiler', () => {
  it('runs the dist/ it finds', () => {
    const dir = installWithoutCompiler(true);
    const result = spawnSync(process.execPath, ['tools/build.mjs', '--if-needed'], { cwd: dir, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('stops with what to do when there is no dist/', () => {
    const dir = installWithoutCompiler(false);
    const result = spawnSync(process.execPath, ['tools/build.mjs', '--if-needed'], { cwd: dir, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('dist/ is missing and this install has no TypeScript compiler');
    expect(result.stderr).toContain('npm ci && npm run build');
  });
});
