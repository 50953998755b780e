import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRelay, eventually, type TestRelay } from '../helpers/relay-harness.js';
import { startTracker, type Tracker } from '../helpers/tracker.js';
import { lintPrometheusText } from '../helpers/prometheus-lint.js';
import { routeNetToTracker } from '../helpers/routes.js';

const hasPromtool = spawnSync('promtool', ['--version']).status === 0;

/** What promlint says of prom-client's standard series (names kept as dashboards expect them). */
const STANDARD_SERIES_LINT = [
  'nodejs_eventloop_lag_min_seconds: unit abbreviation "min"',
  'nodejs_active_resources_total: non-counter metrics should not have "_total" suffix',
  'nodejs_active_handles_total: non-counter metrics should not have "_total" suffix',
  'nodejs_active_requests_total: non-counter metrics should not have "_total" suffix',
];

/** The exposition without the `process_*` and `nodejs_*` families. */
function withoutStandardSeries(text: string): string {
  return text
    .split('\n')
    .filter((line) => !/^(# (HELP|TYPE) )?(process|nodejs)_/.test(line))
    .join('\n');
}

let relay: TestRelay;
let tracker: Tracker;
let scrape: string;

beforeAll(async () => {
  relay = await startTestRelay();
  tracker = await startTracker();
  await routeNetToTracker(relay, 'metrics-key-1', 'acct', tracker.origin);
  // Traffic of several outcomes, so counters, the histogram and queue gauges all have series.
  const accepted = await relay.request({ url: '/postback/net?key=metrics-key-1&click_id=m1' });
  await relay.request({ url: '/postback/net?key=metrics-key-1&click_id=m1' });
  await relay.request({ url: `/postback/net?key=metrics-key-1&click_id=m2&payout=${'1'.repeat(40)}` });
  await relay.request({ url: '/postback/net?key=wrong-key&click_id=m3' });
  await eventually(
    async () => {
      const response = await relay.request({ url: `/v1/conversions/${accepted.body.id}`, admin: true });
      return response.body?.state === 'delivered' ? true : undefined;
    },
    10_000,
    'the delivery',
  );
  const response = await relay.request({ url: '/metrics' });
  expect(response.status).toBe(200);
  scrape = response.text;
});

afterAll(async () => {
  await relay?.close();
  await tracker?.close();
});

describe('/metrics exposition', () => {
  it('has the series the traffic produced', () => {
    expect(scrape).toMatch(/^postback_relay_conversions_received_total\{outcome="accepted"\} 1$/m);
    expect(scrape).toMatch(/^postback_relay_delivery_attempt_duration_seconds_bucket\{.*le="\+Inf".*\} 1$/m);
    expect(scrape).toMatch(/^postback_relay_queue_jobs\{queue="conversions",state="waiting"\} \d+$/m);
  });

  it("has prom-client's standard process and Node.js series", () => {
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'process_open_fds',
      'process_start_time_seconds',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_active_handles_total',
      'nodejs_version_info',
    ]) {
      expect(scrape, name).toMatch(new RegExp(`^# TYPE ${name} `, 'm'));
      expect(scrape, name).toMatch(new RegExp(`^${name}(\\{[^}]*\\})? [0-9.e+-]+$`, 'm'));
    }
  });

  it('passes the format and naming rules promtool checks (built-in checker), but for the standard series names', () => {
    // prom-client's standard series keep the names every Node dashboard queries; promlint
    // flags these four of them. Everything else, and the format of every line, must be clean.
    expect(lintPrometheusText(scrape)).toEqual(STANDARD_SERIES_LINT);
    expect(lintPrometheusText(withoutStandardSeries(scrape))).toEqual([]);
  });

  it.skipIf(!hasPromtool)("passes `promtool check metrics` (the relay's own series)", () => {
    const result = spawnSync('promtool', ['check', 'metrics'], { input: withoutStandardSeries(scrape), encoding: 'utf8' });
    expect(`${result.stdout}${result.stderr}`.trim()).toBe('');
    expect(result.status).toBe(0);
  });
  if (!hasPromtool)
    it.skip('promtool not installed (apt-get install prometheus): the built-in checker above still ran', () => {});

  it('the built-in checker catches what promtool would', () => {
    const bad = [
      '# HELP deliveries Deliveries.',
      '# TYPE deliveries counter',
      'deliveries 1',
      '# TYPE latency_ms gauge',
      'latency_ms{Bad-Name="x"} 1',
      'orphan 2',
      '',
    ].join('\n');
    const problems = lintPrometheusText(bad);
    expect(problems).toEqual(
      expect.arrayContaining([
        'deliveries: counter metrics should have "_total" suffix',
        'latency_ms: no help text',
        'latency_ms: unit abbreviation "ms"',
        'line 5: bad label name "Bad-Name"',
        'line 6: sample orphan has no TYPE/HELP',
      ]),
    );
    if (hasPromtool) {
      const result = spawnSync('promtool', ['check', 'metrics'], {
        input: '# HELP deliveries Deliveries.\n# TYPE deliveries counter\ndeliveries 1\n',
        encoding: 'utf8',
      });
      expect(`${result.stdout}${result.stderr}`).toContain('_total');
    }
  });
});
