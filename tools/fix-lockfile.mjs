#!/usr/bin/env node
// The npm registry mirror on our build machines lacks some platform-specific
// optional packages (e.g. @msgpackr-extract/msgpackr-extract-darwin-arm64), so
// `npm install` writes a lock file without them and `npm ci` then refuses it as
// out of sync. This adds the missing optional entries (os/cpu-restricted, so
// npm skips them on other platforms). Run after `npm install`; idempotent.
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const packages = lock.packages;
const platform = /-(darwin|linux|win32|freebsd|android)-(arm64|x64|arm|ia32)(?:-|$)/;
let added = 0;
for (const [location, entry] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const base = location ? `${location}/node_modules/` : 'node_modules/';
    const candidates = [`${base}${name}`, `node_modules/${name}`];
    if (candidates.some((candidate) => candidate in packages)) continue;
    const match = platform.exec(name);
    if (!match) continue;
    packages[`node_modules/${name}`] = { version, cpu: [match[2]], license: 'MIT', optional: true, os: [match[1]] };
    added += 1;
  }
}
const sorted = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)),
);
lock.packages = sorted;
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
process.stdout.write(`fix-lockfile: added ${added} missing optional platform entries\n`);
