import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';

const root = resolve(import.meta.dirname, '../..');
const read = (name: string) => readFileSync(join(root, name), 'utf8');

/** docker-compose.yml's services, each as the text of its block (no YAML parser among the dependencies). */
function services(): Map<string, string> {
  const compose = read('docker-compose.yml');
  const body = compose.slice(compose.indexOf('\nservices:\n') + '\nservices:\n'.length).split(/\n(?=\S)/)[0]!;
  const blocks = new Map<string, string>();
  for (const block of body.split(/\n(?= {2}[a-z][\w-]*:\s*$)/m)) {
    const name = /^ {2}([a-z][\w-]*):/.exec(block)?.[1];
    if (name) blocks.set(name, block);
  }
  return blocks;
}

describe('docker-compose.yml', () => {
  const blocks = services();
  const relays = [...blocks.keys()].filter((name) => name !== 'redis');

  it('runs Redis as a queue needs it, with a healthcheck', () => {
    // Quotes, brackets and commas dropped: the same whatever list style the file uses.
    const redis = blocks
      .get('redis')!
      .replace(/["'[\],]/g, ' ')
      .replace(/\s+/g, ' ');
    expect(redis).toContain('--maxmemory-policy noeviction');
    expect(redis).toContain('--appendonly yes');
    expect(redis).toContain('test: CMD redis-cli ping');
    expect(redis).toMatch(/restart: unless-stopped/);
  });

  it('starts each relay once Redis is healthy, restarts it, and waits longer than its shutdown before killing it', () => {
    expect(relays.length).toBeGreaterThanOrEqual(2);
    // src/main.ts gives up on a shutdown after worker.shutdownGraceMs + 10 s.
    const shutdownBoundS = configSchema.parse({}).worker.shutdownGraceMs / 1000 + 10;
    for (const name of relays) {
      const block = blocks.get(name)!;
      expect(block, name).toMatch(/depends_on:\n\s+redis:\n\s+condition: service_healthy/);
      expect(block, name).toMatch(/restart: unless-stopped/);
      const grace = /stop_grace_period: (\d+)s/.exec(block);
      expect(grace, `${name}: stop_grace_period`).not.toBeNull();
      expect(Number(grace![1]), name).toBeGreaterThan(shutdownBoundS);
    }
  });
});

describe('.dockerignore', () => {
  it('keeps dependencies, data, git and test output out of the build context', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((line) => line.trim());
    for (const entry of ['node_modules', 'dist', 'data', '.git', 'coverage', 'test-artifacts']) expect(ignored).toContain(entry);
  });
});

describe('the console in the image', () => {
  const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };

  it('ships its files: src/ is copied into the build, nothing of src/console is ignored, and the build copies what tsc does not emit', () => {
    expect(read('Dockerfile')).toMatch(/^COPY src \.\/src$/m);
    const ignored = read('.dockerignore')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    for (const pattern of ignored) expect(/^(src|\*\.(js|css|html|svg)|src\/console.*)$/.test(pattern), pattern).toBe(false);
    // tools/build.mjs copies every non-TypeScript file of src/ into dist/.
    expect(read('tools/build.mjs')).toMatch(/cpSync\(src, dist/);
    expect(readdirSync(join(root, 'src/console/public'))).toEqual(
      expect.arrayContaining(['index.html', 'app.js', 'console.css']),
    );
  });

  it('serves uPlot from a runtime dependency, not a dev one', () => {
    expect(pkg.dependencies.uplot).toBeDefined();
  });
});
