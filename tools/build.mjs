#!/usr/bin/env node
// `npm run build`: compiles src/ to dist/ with tsconfig.build.json, then copies
// the files tsc does not emit (anything in src/ that is not TypeScript, such as
// a page's static assets) so dist/ runs on its own. Needs the dev dependencies.
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = `${root}dist`;
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
cpSync(`${root}src`, dist, {
  recursive: true,
  filter: (source) => !/\.(?:ts|mts|cts)$/.test(source),
});
