import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

export interface StaticFile {
  type: string;
  body: Buffer;
}

/**
 * The console's files, read once at startup: only what is in
 * src/console/public (copied to dist/ by the build) with a known type, and
 * uPlot's two dist files. A request names a key of this map or gets a 404,
 * so no path from a URL ever reaches the file system.
 */
export function loadConsoleFiles(): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const root = fileURLToPath(new URL('./public/', import.meta.url));
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (TYPES[extname(entry.name)]) {
        files.set(`static/${relative(root, path).split(sep).join('/')}`, {
          type: TYPES[extname(entry.name)]!,
          body: readFileSync(path),
        });
      }
    }
  };
  walk(root);
  const uplot = dirname(createRequire(import.meta.url).resolve('uplot'));
  for (const name of ['uPlot.esm.js', 'uPlot.min.css']) {
    files.set(`vendor/${name}`, { type: TYPES[extname(name)]!, body: readFileSync(join(uplot, name)) });
  }
  return files;
}
