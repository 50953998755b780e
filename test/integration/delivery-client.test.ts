import { createServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createSecureContext } from 'node:tls';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createAddressPolicy } from '../../src/delivery/address-policy.js';
import { createDeliveryClient } from '../../src/delivery/http-client.js';
import type { DeliveryClient, DeliveryClientOptions } from '../../src/delivery/http-client.js';

interface TestServer {
  url: string;
  port: number;
  requests: IncomingMessage[];
  /** TCP connections accepted, to tell "connection reused" and "never dialled" apart. */
  connections: number;
  close(): Promise<void>;
}

const servers: TestServer[] = [];
const clients: DeliveryClient[] = [];

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void, host = '127.0.0.1'): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer();
  const state: TestServer = {
    url: '',
    port: 0,
    requests: [],
    connections: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  server.on('connection', (socket) => {
    state.connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('request', (req, res) => {
    state.requests.push(req);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  state.port = (server.address() as AddressInfo).port;
  state.url = `http://${host}:${state.port}`;
  servers.push(state);
  return state;
}

function client(overrides: Partial<DeliveryClientOptions> & { allowCidrs?: string[] } = {}): DeliveryClient {
  const { allowCidrs = ['127.0.0.0/8'], ...rest } = overrides;
  const created = createDeliveryClient({
    timeoutMs: 2_000,
    maxRedirects: 3,
    bodySnippetBytes: 64,
    addressPolicy: createAddressPolicy({ allowCidrs }),
    ...rest,
  });
  clients.push(created);
  return created;
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

describe('delivery client: responses', () => {
  it('delivers a 2xx and keeps only the first bodySnippetBytes of a 1 MB body', async () => {
    const big = Buffer.alloc(1024 * 1024, 'a');
    const server = await serve((req, res) => {
      if (req.url?.startsWith('/big')) {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': big.length });
        res.end(big);
      } else {
        res.end('ok');
      }
    });
    const c = client({ bodySnippetBytes: 100 });

    const first = await c.send(`${server.url}/big?click_id=abc`);
    expect(first).toMatchObject({ outcome: 'delivered', status: 200 });
    expect(first.body).toBe('a'.repeat(100));
    expect(first.errorCode).toBeUndefined();
    expect(first.latencyMs).toBeGreaterThanOrEqual(0);
    expect(server.requests[0]?.url).toBe('/big?click_id=abc');
    expect(server.requests[0]?.method).toBe('GET');
    expect(server.requests[0]?.headers['user-agent']).toBe('postback-relay/0.1');

    const second = await c.send(`${server.url}/small`);
    expect(second).toMatchObject({ outcome: 'delivered', status: 200, body: 'ok' });
  });

  it('drains a modest remainder so the keep-alive connection is reused', async () => {
    // The rest arrives after the snippet has been read, so it has to be drained, not merely dropped from a buffer.
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': 10_000 });
      res.write('x'.repeat(1_000));
      setTimeout(() => res.end('x'.repeat(9_000)), 50);
    });
    // One connection per origin, so a second socket could only come from the first being cut.
    const c = client({ bodySnippetBytes: 16, connections: 1 });
    for (let i = 0; i < 3; i++) {
      expect(await c.send(`${server.url}/`)).toMatchObject({ outcome: 'delivered', body: 'x'.repeat(16) });
    }
    expect(server.requests).toHaveLength(3);
    expect(server.connections).toBe(1);
  });

  it('handles a chunked body of unknown length larger than the drain allowance', async () => {
    const server = await serve((req, res) => {
      if (req.url === '/stream') {
        res.writeHead(200);
        const chunk = Buffer.alloc(64 * 1024, 'b');
        let sent = 0;
        const pump = (): void => {
          while (sent < 32) {
            sent += 1;
            if (!res.write(chunk)) {
              res.once('drain', pump);
              return;
            }
          }
          res.end();
        };
        pump();
        res.on('error', () => undefined);
      } else {
        res.end('next');
      }
    });
    const c = client({ bodySnippetBytes: 10 });
    expect(await c.send(`${server.url}/stream`)).toMatchObject({ outcome: 'delivered', body: 'b'.repeat(10) });
    expect(await c.send(`${server.url}/next`)).toMatchObject({ outcome: 'delivered', body: 'next' });
  });

  it('does not cut a multi-byte character in half', async () => {
    const server = await serve((_req, res) => res.end('ééé'));
    const result = await client({ bodySnippetBytes: 3 }).send(server.url);
    expect(result.body).toBe('é');
  });

  it('retries a 500', async () => {
    const server = await serve((_req, res) => {
      res.statusCode = 500;
      res.end('boom');
    });
    expect(await client().send(server.url)).toMatchObject({ outcome: 'retry', status: 500, body: 'boom' });
  });

  it('fails a 404 permanently', async () => {
    const server = await serve((_req, res) => {
      res.statusCode = 404;
      res.end('nope');
    });
    const result = await client().send(server.url);
    expect(result).toMatchObject({ outcome: 'failed', status: 404, body: 'nope' });
    expect(result.errorCode).toBeUndefined();
  });

  it('reads Retry-After seconds on a 429', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(429, { 'retry-after': '7' });
      res.end();
    });
    expect(await client().send(server.url)).toMatchObject({ outcome: 'retry', status: 429, retryAfterMs: 7000 });
  });

  it('reads a Retry-After HTTP date on a 503', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(503, { 'retry-after': new Date(Date.now() + 120_000).toUTCString() });
      res.end();
    });
    const result = await client().send(server.url);
    expect(result).toMatchObject({ outcome: 'retry', status: 503 });
    expect(result.retryAfterMs).toBeGreaterThan(110_000);
    expect(result.retryAfterMs).toBeLessThanOrEqual(120_000);
  });

  it('ignores Retry-After on other statuses', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(500, { 'retry-after': '7' });
      res.end();
    });
    expect((await client().send(server.url)).retryAfterMs).toBeUndefined();
  });
});

describe('delivery client: network failures', () => {
  it('times out a server that never answers, within the total timeout', async () => {
    const server = await serve(() => {
      // Never respond.
    });
    const started = Date.now();
    const result = await client({ timeoutMs: 300 }).send(server.url);
    const took = Date.now() - started;
    expect(result).toMatchObject({ outcome: 'retry', errorCode: 'timeout', body: '' });
    expect(result.status).toBeUndefined();
    expect(result.error).toContain('300 ms');
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(1_500);
    expect(result.latencyMs).toBeGreaterThanOrEqual(250);
  });

  it('settles on time when the body stalls after a 200, keeping what arrived', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': 1000 });
      res.write('partial');
    });
    const started = Date.now();
    const result = await client({ timeoutMs: 300 }).send(server.url);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(result).toMatchObject({ outcome: 'delivered', status: 200, body: 'partial' });
  });

  it('times out an attempt still queued for a connection, and never sends it late', async () => {
    const server = await serve((req, res) => {
      if (req.url !== '/hang') res.end('ok');
    });
    // One connection, held by a tracker that never answers: the second attempt waits in undici's queue.
    const oneConnection = client({ timeoutMs: 300, connections: 1 });
    // Warm: the two sends below must start their 300 ms within a hair of each other, or the
    // first one's timeout frees the connection while the second still has time (a first
    // send's one-off setup on a loaded machine once made that gap, and /queued went out).
    expect(await oneConnection.send(`${server.url}/warm`)).toMatchObject({ outcome: 'delivered' });
    const hanging = oneConnection.send(`${server.url}/hang`);
    const started = Date.now();
    const queued = await oneConnection.send(`${server.url}/queued`);
    expect(queued).toMatchObject({ outcome: 'retry', errorCode: 'timeout', error: 'no complete response within 300 ms' });
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(await hanging).toMatchObject({ outcome: 'retry', errorCode: 'timeout' });
    // The connection is free again; a late send of the timed-out attempt would have gone out before this one.
    expect(await oneConnection.send(`${server.url}/after`)).toMatchObject({ outcome: 'delivered', status: 200 });
    expect(server.requests.map((req) => req.url)).toEqual(['/warm', '/hang', '/after']);
  });

  it('retries a refused connection', async () => {
    const server = await serve(() => undefined);
    const url = server.url;
    await server.close();
    servers.splice(servers.indexOf(server), 1);
    const result = await client().send(url);
    expect(result).toMatchObject({ outcome: 'retry', errorCode: 'connect_refused', body: '' });
    expect(result.error).toBeTruthy();
  });

  it('retries a connection reset before any response', async () => {
    const server = await serve((req) => req.socket.destroy());
    const result = await client().send(server.url);
    expect(result.outcome).toBe('retry');
    expect(['connection_reset', 'network_error']).toContain(result.errorCode);
  });

  it('retries a name that does not resolve', async () => {
    const result = await client().send('http://name-that-does-not-exist.invalid/');
    expect(result).toMatchObject({ outcome: 'retry', errorCode: 'dns_failed' });
  });

  it.each(['not a url', 'ftp://example.com/x', 'javascript:alert(1)', 'file:///etc/passwd', ''])(
    'fails %j as invalid_url without touching the network',
    async (url) => {
      const result = await client().send(url);
      expect(result).toMatchObject({ outcome: 'failed', errorCode: 'invalid_url', latencyMs: 0, body: '' });
    },
  );
});

describe('delivery client: redirects', () => {
  async function redirectChain(): Promise<TestServer> {
    // /r/N redirects to /r/N-1; /r/0 answers.
    return serve((req, res) => {
      const match = /^\/r\/(\d+)/.exec(req.url ?? '');
      const n = Number(match?.[1] ?? 0);
      if (n > 0) {
        res.writeHead(302, { location: `/r/${n - 1}` });
        res.end();
      } else {
        res.end('landed');
      }
    });
  }

  it('follows up to maxRedirects redirects', async () => {
    const server = await redirectChain();
    const result = await client({ maxRedirects: 3 }).send(`${server.url}/r/3`);
    expect(result).toMatchObject({ outcome: 'delivered', status: 200, body: 'landed' });
    expect(server.requests.map((r) => r.url)).toEqual(['/r/3', '/r/2', '/r/1', '/r/0']);
  });

  it('fails with too_many_redirects past the limit', async () => {
    const server = await redirectChain();
    const result = await client({ maxRedirects: 3 }).send(`${server.url}/r/4`);
    expect(result).toMatchObject({ outcome: 'failed', status: 302, errorCode: 'too_many_redirects' });
    expect(server.requests).toHaveLength(4);
  });

  it('treats any redirect as too many when maxRedirects is 0', async () => {
    const server = await redirectChain();
    const result = await client({ maxRedirects: 0 }).send(`${server.url}/r/1`);
    expect(result).toMatchObject({ outcome: 'failed', status: 302, errorCode: 'too_many_redirects' });
  });

  it('reports a redirect loop as too_many_redirects', async () => {
    const server = await serve((req, res) => {
      res.writeHead(301, { location: req.url === '/a' ? '/b' : '/a' });
      res.end();
    });
    const result = await client({ maxRedirects: 5 }).send(`${server.url}/a`);
    expect(result).toMatchObject({ outcome: 'failed', errorCode: 'too_many_redirects' });
  });

  it('fails a redirect to a non-http scheme as invalid_url', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(302, { location: 'ftp://example.com/file' });
      res.end();
    });
    expect(await client().send(server.url)).toMatchObject({ outcome: 'failed', errorCode: 'invalid_url' });
  });

  it('follows a redirect to another origin', async () => {
    const target = await serve((_req, res) => res.end('other'), '127.0.0.3');
    const start = await serve((_req, res) => {
      res.writeHead(307, { location: `${target.url}/final` });
      res.end();
    });
    expect(await client().send(start.url)).toMatchObject({ outcome: 'delivered', body: 'other' });
    expect(target.requests[0]?.url).toBe('/final');
  });
});

describe('delivery client: address policy', () => {
  it('refuses a loopback IP literal before connecting', async () => {
    const server = await serve((_req, res) => res.end('should not see this'));
    const result = await client({ allowCidrs: [] }).send(`${server.url}/pb`);
    expect(result).toMatchObject({ outcome: 'failed', errorCode: 'blocked_address', body: '' });
    expect(result.error).toBe('blocked address 127.0.0.1 (loopback)');
    expect(server.requests).toHaveLength(0);
    expect(server.connections).toBe(0);
  });

  it('refuses a hostname that resolves to loopback', async () => {
    const server = await serve((_req, res) => res.end('should not see this'));
    const result = await client({ allowCidrs: [] }).send(`http://localhost:${server.port}/pb`);
    expect(result).toMatchObject({ outcome: 'failed', errorCode: 'blocked_address' });
    expect(result.error).toMatch(/\(loopback\)$/);
    expect(server.requests).toHaveLength(0);
    expect(server.connections).toBe(0);
  });

  it('refuses an IPv6 loopback literal', async () => {
    const result = await client({ allowCidrs: ['127.0.0.0/8'] }).send('http://[::1]:9/pb');
    expect(result).toMatchObject({ outcome: 'failed', errorCode: 'blocked_address', error: 'blocked address ::1 (loopback)' });
  });

  it('refuses the cloud metadata address', async () => {
    const result = await client({ allowCidrs: [] }).send('http://169.254.169.254/latest/meta-data/');
    expect(result).toMatchObject({
      outcome: 'failed',
      errorCode: 'blocked_address',
      error: 'blocked address 169.254.169.254 (link-local/metadata)',
    });
  });

  // Checked where the connection is made: IPv6 forms that carry an IPv4 address, judged by it (issue 12 item 6).
  it.each([
    ['http://[2002:7f00:1::]:9/pb', '6to4 127.0.0.1: loopback'],
    ['http://[::ffff:0:a9fe:a9fe]/latest/meta-data/', 'IPv4-translated 169.254.169.254: link-local/metadata'],
    ['http://[64:ff9b:1::a00:1]/pb', 'NAT64 10.0.0.1: private'],
    ['http://[2001:0:808:808::f5ff:fffe]/pb', 'Teredo client 10.0.0.1: private'],
    ['http://[fec0::1]/pb', 'site-local (deprecated)'],
  ])('refuses %s before connecting', async (url, reason) => {
    const result = await client({ allowCidrs: [] }).send(url);
    expect(result).toMatchObject({ outcome: 'failed', errorCode: 'blocked_address', body: '' });
    expect(result.error).toMatch(new RegExp(`^blocked address [0-9a-f:]+ \\(${reason.replace(/[()]/g, '\\$&')}\\)$`));
  });

  it('refuses a redirect from an allowed host to a blocked one', async () => {
    const blocked = await serve((_req, res) => res.end('internal'), '127.0.0.1');
    const allowed = await serve((_req, res) => {
      res.writeHead(302, { location: `${blocked.url}/admin` });
      res.end();
    }, '127.0.0.2');
    const result = await client({ allowCidrs: ['127.0.0.2/32'] }).send(`${allowed.url}/pb`);
    expect(result).toMatchObject({
      outcome: 'failed',
      errorCode: 'blocked_address',
      error: 'blocked address 127.0.0.1 (loopback)',
    });
    expect(allowed.requests).toHaveLength(1);
    expect(blocked.requests).toHaveLength(0);
    expect(blocked.connections).toBe(0);
  });

  it('allows loopback, by IP and by name, when allowCidrs covers 127.0.0.0/8', async () => {
    const server = await serve((_req, res) => res.end('local tracker'));
    const c = client({ allowCidrs: ['127.0.0.0/8'] });
    expect(await c.send(`${server.url}/pb`)).toMatchObject({ outcome: 'delivered', body: 'local tracker' });
    expect(await c.send(`http://localhost:${server.port}/pb`)).toMatchObject({ outcome: 'delivered' });
    expect(server.requests).toHaveLength(2);
  });

  it('sends a configured user-agent', async () => {
    const server = await serve((_req, res) => res.end());
    await client({ userAgent: 'custom-agent/9' }).send(server.url);
    expect(server.requests[0]?.headers['user-agent']).toBe('custom-agent/9');
  });
});

// Test-only self-signed pair for DNS:localhost (EC P-256, valid to 2126). No CA trusts it, on purpose.
const TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgxcmIBe7n/8Jr9QNr
fFD9E6WNftEmtNTbr8MquJX+o+GhRANCAAR7ucKzkpYNtW57spAS70Z7S5BtO1f7
OwrWvIzeFCGuJXRunhlxsfutI9uEdGqa6wFeDbmxrUyq32fqjkzdfQ+q
-----END PRIVATE KEY-----`;
const TEST_CERT = `-----BEGIN CERTIFICATE-----
MIIBljCCATugAwIBAgIUcugHVnmxTvG4pCOc0qhyNsjxKt8wCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyMjAwMTAwMFoYDzIxMjYxMDI5
MDAxMDAwWjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAAR7ucKzkpYNtW57spAS70Z7S5BtO1f7OwrWvIzeFCGuJXRunhlxsfut
I9uEdGqa6wFeDbmxrUyq32fqjkzdfQ+qo2kwZzAdBgNVHQ4EFgQUr4hrqyXZVQIO
86SWU5KFALu843gwHwYDVR0jBBgwFoAUr4hrqyXZVQIO86SWU5KFALu843gwDwYD
VR0TAQH/BAUwAwEB/zAUBgNVHREEDTALgglsb2NhbGhvc3QwCgYIKoZIzj0EAwID
SQAwRgIhAPQYSCkJJlsTNZIfexjcL7ey69i7PiaeXplnJXjGsxdYAiEA+8ztLjHc
74k3xo5jB204PvQOxp2LwS9kI3KPmcYvirQ=
-----END CERTIFICATE-----`;

describe('delivery client: https', () => {
  interface TlsServer {
    port: number;
    /** Server names the clients sent in their ClientHello. */
    sni: string[];
    requests: number;
    close(): Promise<void>;
  }

  async function serveTls(): Promise<TlsServer> {
    const context = createSecureContext({ key: TEST_KEY, cert: TEST_CERT });
    const state: TlsServer = { port: 0, sni: [], requests: 0, close: () => Promise.resolve() };
    const server = createTlsServer({
      key: TEST_KEY,
      cert: TEST_CERT,
      SNICallback: (servername, callback) => {
        state.sni.push(servername);
        callback(null, context);
      },
    });
    server.on('request', (_req, res) => {
      state.requests += 1;
      res.end('secure');
    });
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    state.port = (server.address() as AddressInfo).port;
    state.close = () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    return state;
  }

  it('dials the resolved IP but presents and verifies the hostname from the URL', async () => {
    const server = await serveTls();
    try {
      const result = await client().send(`https://localhost:${server.port}/pb`);
      // Reaching certificate verification shows the TLS path ran through the guarded connector.
      expect(result).toMatchObject({ outcome: 'retry', errorCode: 'tls_failed' });
      expect(server.sni).toEqual(['localhost']);
      expect(server.requests).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('sends no SNI for an IP literal', async () => {
    const server = await serveTls();
    try {
      const result = await client().send(`https://127.0.0.1:${server.port}/pb`);
      expect(result).toMatchObject({ outcome: 'retry', errorCode: 'tls_failed' });
      expect(server.sni).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('refuses a blocked https destination before any handshake', async () => {
    const server = await serveTls();
    try {
      const result = await client({ allowCidrs: [] }).send(`https://localhost:${server.port}/pb`);
      expect(result).toMatchObject({ outcome: 'failed', errorCode: 'blocked_address' });
      expect(server.sni).toEqual([]);
    } finally {
      await server.close();
    }
  });
});

describe('delivery client: lifecycle', () => {
  it('close() is idempotent and later sends do not throw', async () => {
    const server = await serve((_req, res) => res.end('ok'));
    const c = client();
    expect(await c.send(server.url)).toMatchObject({ outcome: 'delivered' });
    await c.close();
    await c.close();
    const after = await c.send(server.url);
    expect(after.outcome).toBe('retry');
    expect(after.errorCode).toBe('network_error');
  });
});
