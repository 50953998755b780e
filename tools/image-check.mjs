#!/usr/bin/env node
// The image's steps without a Docker daemon: reads the Dockerfile and replays
// its stages in a temporary directory (each stage's WORKDIR becomes a folder of
// its own; COPY from the build context honours .dockerignore, COPY --from takes
// the named stage's folder; RUN runs through sh), then starts the last stage's
// CMD the way `docker run -e ADMIN_TOKEN=… -e REDIS_URL=…` would, against a
// redis-server started here, and requires:
//   - no TypeScript compiler (or tsx) in the runtime stage's node_modules,
//   - `npm ls --omit=dev` clean there (nothing missing after the prune),
//   - GET /readyz answering 200 within 30 s,
//   - the HEALTHCHECK command exiting 0,
//   - SIGTERM stopping the relay with exit code 0.
// The Node that runs the steps is the one on PATH (.ci/run puts Node 22 first,
// as in the image). Set IMAGE_CHECK_KEEP=1 to keep the temporary directory.
// Not covered: the base image itself, USER (files are not chowned here), EXPOSE.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const started = Date.now();
const say = (text) => process.stdout.write(`image-check [${((Date.now() - started) / 1000).toFixed(1)} s] ${text}\n`);

function fail(message) {
  process.stderr.write(`image-check: FAILED: ${message}\n`);
  process.exitCode = 1;
  throw new Error(message);
}

/** Instructions of a Dockerfile: comments dropped, continuation lines joined. */
function parseDockerfile(text) {
  const instructions = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const whole = (pending + line).trim();
    pending = '';
    const space = whole.search(/\s/);
    instructions.push({ op: whole.slice(0, space).toUpperCase(), args: whole.slice(space + 1).trim() });
  }
  return instructions;
}

/** .dockerignore patterns as matchers on slash-separated paths from the context root (last match wins). */
function dockerignore() {
  const path = join(root, '.dockerignore');
  if (!existsSync(path)) return () => false;
  const rules = readFileSync(path, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const negate = line.startsWith('!');
      const pattern = (negate ? line.slice(1) : line).replace(/^\/+|\/+$/g, '');
      const source = pattern
        .split('')
        .map((char, i, all) => {
          if (char === '*') return all[i + 1] === '*' ? '' : all[i - 1] === '*' ? '.*' : '[^/]*';
          if (char === '?') return '[^/]';
          return /[.+^${}()|[\]\\]/.test(char) ? `\\${char}` : char;
        })
        .join('');
      return { negate, regex: new RegExp(`^${source}(?:/.*)?$`) };
    });
  return (relativePath) => {
    let ignored = false;
    for (const rule of rules) if (rule.regex.test(relativePath)) ignored = !rule.negate;
    return ignored;
  };
}

/** Splits `--flag=value a b c` into flags and words (JSON array form supported). */
function words(args) {
  if (args.startsWith('[')) return { flags: {}, list: JSON.parse(args) };
  const flags = {};
  const list = [];
  for (const word of args.split(/\s+/)) {
    const flag = /^--([a-z-]+)=(.*)$/.exec(word);
    if (flag) flags[flag[1]] = flag[2];
    else list.push(word);
  }
  return { flags, list };
}

/** Expands a `*` in the last path segment of a COPY source. */
function expand(base, source) {
  if (!source.includes('*')) return [join(base, source)];
  const dir = join(base, dirname(source));
  const regex = new RegExp(
    `^${basename(source)
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')}$`,
  );
  return readdirSync(dir)
    .filter((name) => regex.test(name))
    .map((name) => join(dir, name));
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Polls `probe` until it answers true; `gaveUp` names a reason to stop waiting early. */
async function until(what, deadlineMs, probe, gaveUp = () => undefined) {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    const reason = gaveUp();
    if (reason) fail(`${what}: ${reason}`);
    if (Date.now() > deadline) fail(`${what}: not within ${deadlineMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const redisPong = (port) =>
  new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
  });

const work = mkdtempSync(join(tmpdir(), 'image-check-'));
const children = [];
try {
  const instructions = parseDockerfile(readFileSync(join(root, 'Dockerfile'), 'utf8'));
  const ignored = dockerignore();
  const stages = [];
  let stage;
  let cmd;
  let healthcheck;
  for (const { op, args } of instructions) {
    if (op === 'FROM') {
      const [image, as, name] = args.split(/\s+/);
      stage = {
        name: as?.toUpperCase() === 'AS' ? name : String(stages.length),
        fsRoot: join(work, `stage${stages.length}`),
        env: {},
      };
      stage.workdir = stage.fsRoot;
      mkdirSync(stage.fsRoot, { recursive: true });
      stages.push(stage);
      say(`stage ${stage.name} (${image})`);
      cmd = undefined;
      healthcheck = undefined;
    } else if (!stage) {
      if (op !== 'ARG') fail(`${op} before FROM`);
    } else if (op === 'WORKDIR') {
      stage.workdir = join(stage.fsRoot, args);
      mkdirSync(stage.workdir, { recursive: true });
    } else if (op === 'ENV') {
      for (const pair of args.split(/\s+/)) {
        const eq = pair.indexOf('=');
        if (eq <= 0) fail(`ENV ${args}: only KEY=value pairs are supported here`);
        stage.env[pair.slice(0, eq)] = pair.slice(eq + 1);
      }
    } else if (op === 'COPY') {
      const { flags, list } = words(args);
      const dest = list.pop();
      const from = flags.from === undefined ? undefined : stages.find((s) => s.name === flags.from);
      if (flags.from !== undefined && !from) fail(`COPY --from=${flags.from}: no such stage`);
      const target = dest.startsWith('/') ? join(stage.fsRoot, dest) : join(stage.workdir, dest);
      const intoDir = dest.endsWith('/') || list.length > 1;
      for (const source of list) {
        const base = from ? from.fsRoot : root;
        const matches = expand(base, from ? source : source.replace(/^\/+/, ''));
        if (matches.length === 0 || !matches.every(existsSync)) fail(`COPY ${source}: not found`);
        for (const path of matches) {
          const isDir = statSync(path).isDirectory();
          const to = isDir || !intoDir ? target : join(target, basename(path));
          mkdirSync(isDir ? to : dirname(to), { recursive: true });
          cpSync(path, to, {
            recursive: true,
            filter: (file) => from !== undefined || !ignored(relative(root, file).split('\\').join('/')),
          });
        }
      }
      say(`COPY ${args}`);
    } else if (op === 'RUN') {
      say(`RUN ${args}`);
      const { list } = args.startsWith('[') ? words(args) : { list: ['sh', '-c', args] };
      execFileSync(list[0], list.slice(1), { cwd: stage.workdir, env: { ...process.env, ...stage.env }, stdio: 'inherit' });
    } else if (op === 'CMD') {
      cmd = words(args).list;
    } else if (op === 'HEALTHCHECK') {
      const at = args.search(/\bCMD\s/);
      const command = args.slice(at + 4).trim();
      healthcheck = command.startsWith('[') ? JSON.parse(command) : ['sh', '-c', command];
    } else if (!['EXPOSE', 'USER', 'LABEL', 'ARG', 'STOPSIGNAL'].includes(op)) {
      fail(`Dockerfile instruction ${op} is not replayed by this check: teach tools/image-check.mjs`);
    }
  }
  const runtime = stages.at(-1);
  if (!cmd) fail('the last stage has no CMD');

  for (const compiler of ['typescript', 'tsx']) {
    if (existsSync(join(runtime.workdir, 'node_modules', compiler))) fail(`${compiler} is in the runtime stage's node_modules`);
  }
  execFileSync('npm', ['ls', '--omit=dev', '--depth=0'], { cwd: runtime.workdir, stdio: ['ignore', 'ignore', 'inherit'] });
  const size = execFileSync('du', ['-sh', join(runtime.workdir, 'node_modules')])
    .toString()
    .split('\t')[0];
  say(`runtime node_modules: ${size}, no compiler; npm ls --omit=dev clean`);

  const redisPort = await freePort();
  const redis = spawn(
    'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', work],
    {
      stdio: 'ignore',
    },
  );
  children.push(redis);
  await until('redis-server answering PING', 10_000, () => redisPong(redisPort));

  const port = await freePort();
  const env = {
    PATH: process.env.PATH,
    HOME: runtime.workdir,
    ...runtime.env,
    HOST: '127.0.0.1',
    PORT: String(port),
    ADMIN_TOKEN: 'image-check-admin-token-0123456789',
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
  };
  if (env.NODE_ENV !== 'production') fail(`the image sets NODE_ENV=${env.NODE_ENV ?? '(unset)'}, not production`);
  say(`CMD ${JSON.stringify(cmd)} (node ${execFileSync('node', ['--version']).toString().trim()})`);
  const relay = spawn(cmd[0], cmd.slice(1), { cwd: runtime.workdir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(relay);
  let output = '';
  relay.stdout.on('data', (chunk) => (output += chunk));
  relay.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => relay.once('exit', (code, signal) => resolve(code ?? signal)));
  try {
    await until(
      'GET /readyz 200',
      30_000,
      async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200,
      () =>
        (relay.exitCode ?? relay.signalCode) !== null
          ? `the relay ended (${relay.exitCode ?? relay.signalCode}) before it was ready`
          : undefined,
    );
  } catch (error) {
    process.stderr.write(output);
    throw error;
  }
  say('GET /readyz: 200');
  // The console's files are not TypeScript: the build must have copied them, and uPlot must be a runtime dependency.
  for (const [path, type] of [
    ['/console', 'text/html'],
    ['/console/static/app.js', 'text/javascript'],
    ['/console/static/console.css', 'text/css'],
    ['/console/vendor/uPlot.esm.js', 'text/javascript'],
  ]) {
    const response = await fetch(`http://127.0.0.1:${port}${path}`);
    const got = response.headers.get('content-type') ?? '';
    if (response.status !== 200 || !got.startsWith(type)) fail(`GET ${path}: ${response.status} ${got}, expected 200 ${type}`);
  }
  say('console files: served');
  if (healthcheck) {
    execFileSync(healthcheck[0], healthcheck.slice(1), { cwd: runtime.workdir, env, stdio: 'inherit' });
    say('HEALTHCHECK command: exit 0');
  }
  relay.kill('SIGTERM');
  let timer;
  const code = await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(() => resolve('timeout'), 30_000)))]);
  clearTimeout(timer);
  if (code !== 0) {
    process.stderr.write(output);
    fail(`SIGTERM: the relay ended with ${code}, expected exit code 0`);
  }
  say('SIGTERM: exit 0');
  say('passed');
} catch (error) {
  if (!process.exitCode) process.stderr.write(`image-check: FAILED: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  if (process.env.IMAGE_CHECK_KEEP === '1') say(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
