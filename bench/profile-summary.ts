import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `tsx bench/profile-summary.ts [file.cpuprofile]`: where the relay's CPU
 * went in a profile taken with BENCH_RELAY_CPU_PROF=1 (the largest one in
 * bench/results/ by default, which is the main thread's: the tsx loader thread
 * writes a small one of its own), as self time per package and per function.
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const file =
  process.argv[2] ??
  readdirSync(resultsDir)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => join(resultsDir, name))
    .sort((a, b) => statSync(b).size - statSync(a).size)[0];
if (!file) {
  process.stderr.write('no .cpuprofile in bench/results/ (run the bench with BENCH_RELAY_CPU_PROF=1)\n');
  process.exit(2);
}

const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfUs = new Map<number, number>();
profile.samples.forEach((id, index) => {
  // Idle time is the event loop waiting: not CPU the relay spent.
  if (byId.get(id)?.callFrame.functionName === '(idle)') return;
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
});
const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);

const where = (url: string): string => {
  if (!url) return '';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  return path.startsWith(repoRoot) ? relative(repoRoot, path) : path;
};
const packageOf = (url: string): string => {
  const path = where(url);
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (match) return match[1]!;
  if (path.startsWith('src/')) return path.split('/').slice(0, 2).join('/');
  if (path.startsWith('node:')) return 'node:*';
  return '(other)';
};

const functions = new Map<string, number>();
const packages = new Map<string, number>();
for (const [id, us] of selfUs) {
  const frame = byId.get(id)!.callFrame;
  const name = `${frame.functionName || '(anonymous)'}  ${where(frame.url)}:${frame.lineNumber + 1}`;
  functions.set(name, (functions.get(name) ?? 0) + us);
  // V8's pseudo-frames ((garbage collector), (program)) have no URL: they are their own group.
  const group = frame.url ? packageOf(frame.url) : frame.functionName;
  packages.set(group, (packages.get(group) ?? 0) + us);
}
// Inclusive time of the project's own functions: which of them the time under ioredis, bullmq… is spent for.
// (Synchronous stacks only: work resumed after an await is charged to whatever resumed it.)
const parentOf = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
const ownInclusive = new Map<string, number>();
for (const [id, us] of selfUs) {
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
    const frame = byId.get(at)!.callFrame;
    if (!where(frame.url).startsWith('src/')) continue;
    const name = `${frame.functionName || '(anonymous)'}  ${where(frame.url)}:${frame.lineNumber + 1}`;
    if (seen.has(name)) continue;
    seen.add(name);
    ownInclusive.set(name, (ownInclusive.get(name) ?? 0) + us);
  }
}

const top = (map: Map<string, number>, count: number) =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, us]) => `  ${((us / totalUs) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name}`)
    .join('\n');

process.stdout.write(
  `${file}: ${(totalUs / 1e6).toFixed(1)} s of CPU sampled (idle excluded)\n\nself time by package:\n${top(packages, 15)}\n\nself time by function:\n${top(functions, 25)}\n\ninclusive time of src/ functions:\n${top(ownInclusive, 20)}\n`,
);
