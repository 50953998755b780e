import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../src/health/metrics.js';
import { createRejectionLog, describe as describeRejection } from '../../../src/receiver/rejection-log.js';
import type { NewRejection } from '../../../src/store/rejections.js';

// The store stands in for Redis: each write waits until the test settles it, so "Redis is slow" is exact.
function setup(options: { maxInFlight?: number; warnEveryMs?: number } = {}) {
  const writes: Array<{ rejection: NewRejection; settle: (error?: Error) => void }> = [];
  const warnings: Array<Record<string, unknown>> = [];
  let clock = 0;
  const metrics = createMetrics();
  const log = createRejectionLog({
    store: {
      record: (rejection) =>
        new Promise<void>((resolve, reject) =>
          writes.push({ rejection, settle: (error) => (error ? reject(error) : resolve()) }),
        ),
    },
    sources: { get: (id) => Promise.resolve(id === 'net' ? { key_sha256: 'x', ip_allow: [], params: {} } : null) },
    metrics,
    logger: { warn: (fields: Record<string, unknown>) => warnings.push(fields) } as never,
    now: () => clock,
    ...options,
  });
  const counted = async () =>
    (await metrics.postbacksRejected.get()).values.map((value) => ({ ...value.labels, value: value.value }));
  return { log, writes, warnings, counted, tick: (ms: number) => (clock += ms) };
}

const request = (source: string, url = `/postback/${source}?key=secret-key-1&click_id=c`) => ({
  params: { source },
  url,
  ip: '203.0.113.9',
  method: 'GET',
});
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('describe', () => {
  it('keeps the answer, the fields at fault and the query with the key redacted', () => {
    const payload = JSON.stringify({ error: 'invalid_conversion', details: [{ path: 'click_id', message: 'too long' }] });
    const kept = describeRejection(request('net'), 400, payload);
    expect(kept).toMatchObject({
      source: 'net',
      ip: '203.0.113.9',
      method: 'GET',
      status: 400,
      error: 'invalid_conversion',
      fields: ['click_id'],
    });
    expect(kept.query).toBe('key=***&click_id=c');
  });

  it('bounds what the sender chose, and reads an answer that is not the error shape', () => {
    const kept = describeRejection(request('s'.repeat(1_000), `/postback/x?a=${'q'.repeat(10_000)}`), 413, 'not json');
    expect(kept.source).toHaveLength(128);
    expect(kept.query.length).toBeLessThanOrEqual(2_048);
    expect(kept).toMatchObject({ error: 'http_413', fields: [] });
    expect(describeRejection(request('net'), 400, JSON.stringify({ error: 'x', details: { path: 'y' } })).fields).toEqual([]);
    expect(
      describeRejection(request('net'), 400, JSON.stringify({ error: 'x', details: [null, 3, { path: 'p' }] })).fields,
    ).toEqual(['p']);
  });
});

describe('createRejectionLog', () => {
  it('counts an unknown source name as source="unknown" and keeps it in the shared bucket', async () => {
    const { log, writes, counted } = setup();
    log.onSend(request('made-up-name') as never, { statusCode: 401 } as never, '{"error":"unauthorized"}', () => {});
    log.onSend(request('net') as never, { statusCode: 401 } as never, '{"error":"unauthorized"}', () => {});
    await flush();
    expect(writes.map((write) => [write.rejection.source, write.rejection.known_source])).toEqual([
      ['made-up-name', false],
      ['net', true],
    ]);
    expect(await counted()).toEqual(
      expect.arrayContaining([
        { source: 'unknown', reason: 'unauthorized', value: 1 },
        { source: 'net', reason: 'unauthorized', value: 1 },
      ]),
    );
    expect(JSON.stringify(await counted())).not.toContain('made-up-name');
  });

  it('leaves a 2xx answer alone and always passes the payload on', async () => {
    const { log, writes } = setup();
    const passed: unknown[] = [];
    log.onSend(request('net') as never, { statusCode: 200 } as never, '{"status":"accepted"}', (_error, payload) =>
      passed.push(payload),
    );
    // A request object that throws when read must not keep the refusal from being sent.
    const broken = {
      get params(): never {
        throw new Error('boom');
      },
      url: '/',
      ip: '',
      method: 'GET',
    };
    log.onSend(broken as never, { statusCode: 401 } as never, '{"error":"unauthorized"}', (_error, payload) =>
      passed.push(payload),
    );
    await flush();
    expect(writes).toHaveLength(0);
    expect(passed).toEqual(['{"status":"accepted"}', '{"error":"unauthorized"}']);
  });

  it('holds at most maxInFlight writes while Redis is slow; the rest are counted, not kept, with one warning', async () => {
    const { log, writes, warnings, counted, tick } = setup({ maxInFlight: 3, warnEveryMs: 10_000 });
    for (let i = 0; i < 10; i++)
      log.onSend(request('net') as never, { statusCode: 403 } as never, '{"error":"forbidden"}', () => {});
    await flush();
    expect(writes).toHaveLength(3);
    expect(await counted()).toEqual([{ source: 'net', reason: 'forbidden', value: 10 }]);
    expect(warnings).toHaveLength(1);

    // Once Redis answers, there is room again.
    for (const write of writes.splice(0)) write.settle();
    await flush();
    log.onSend(request('net') as never, { statusCode: 403 } as never, '{"error":"forbidden"}', () => {});
    await flush();
    expect(writes).toHaveLength(1);

    // A failed write only logs, and a flood of them logs once per period with a count.
    writes.splice(0)[0]!.settle(new Error('OOM'));
    await flush();
    expect(warnings).toHaveLength(1);
    tick(10_000);
    log.recordTimeout('198.51.100.1');
    await flush();
    writes.splice(0)[0]!.settle(new Error('OOM'));
    await flush();
    expect(warnings).toHaveLength(2);
    // Since the first warning: 6 more over the bound and 2 failed writes.
    expect(warnings[1]).toMatchObject({ notKept: 8 });
  });
});
