#!/usr/bin/env node
// `npm run build`: compiles src/ to dist/ with tsconfig.build.json, then copies
// the files tsc does not emit (anything in src/ that is not TypeScript, such as
// a page's static assets) so dist/ runs on its own. Needs the dev dependencies.
//
// `--if-needed` (npm's prestart): builds only when dist/ is missing or older
// than src/ or the tsconfig files, so `npm ci && npm start` works from a clone.
// Where no compiler is installed (`npm ci --omit=dev`) it runs the dist/ it
// finds, and stops with a clear message when there is none.
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src');
const dist = join(root, 'dist');
const builtAt = (() => {
  try {
    return statSync(join(dist, 'main.js')).mtimeMs;
  } catch {
    return undefined;
  }
})();
let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  tsc = undefined;
}

/** The newest modification time of a file under `path` (or of `path` itself). */
function newest(path) {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

if (process.argv.includes('--if-needed')) {
  if (!tsc) {
    if (builtAt !== undefined) process.exit(0);
    process.stderr.write(
      'postback-relay: dist/ is missing and this install has no TypeScript compiler (npm ci --omit=dev).\n' +
        'Build where the dev dependencies are installed: npm ci && npm run build (then npm prune --omit=dev).\n',
    );
    process.exit(1);
  }
  const sources = Math.max(newest(src), newest(join(root, 'tsconfig.json')), newest(join(root, 'tsconfig.build.json')));
  if (builtAt !== undefined && sources <= builtAt) process.exit(0);
  process.stderr.write(`postback-relay: building dist/ (${builtAt === undefined ? 'missing' : 'older than src/'})\n`);
}

if (!tsc) {
  process.stderr.write('postback-relay: no TypeScript compiler installed: run npm ci (with the dev dependencies) first\n');
  process.exit(1);
}
rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
cpSync(src, dist, {
  recursive: true,
  filter: (source) => !/\.(?:ts|mts|cts)$/.test(source),
});
