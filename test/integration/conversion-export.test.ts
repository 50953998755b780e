import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRelay, eventually, type TestRelay } from '../helpers/relay-harness.js';
import { startTracker, type Tracker } from '../helpers/tracker.js';
import { CSV_COLUMNS } from '../../src/admin/conversion-export.js';
import { routeNetToTracker } from '../helpers/routes.js';

/** An export for finance or a dispute with a network: every match, streamed, as CSV or NDJSON. */
const N = 2_500;
let relay: TestRelay;
let tracker: Tracker;
const ids = new Set<string>();
/** Values a spreadsheet would run as formulas, sent in sub1..sub4 of one conversion. */
const HOSTILE = { sub1: '=HYPERLINK("http://evil.example","x")', sub2: '@SUM(A1:A9)', sub3: '+cmd|calc', sub4: '-2+3' };
let hostileId = '';

/** RFC 4180: quoted fields, `""` for a quote inside, commas and line breaks inside quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i += 1;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

const exportOf = (query: string, headers: Record<string, string> = {}) =>
  relay.request({ url: `/v1/conversions?${query}`, admin: true, headers });

beforeAll(async () => {
  relay = await startTestRelay();
  tracker = await startTracker();
  await routeNetToTracker(relay, 'export-key-1', 'acme', tracker.origin);
  for (let start = 0; start < N; start += 100) {
    const answers = await Promise.all(
      Array.from({ length: Math.min(100, N - start) }, (_, j) => {
        const i = start + j;
        const extra = i === 7 ? `&${new URLSearchParams(HOSTILE).toString()}` : '';
        return relay.request({
          url: `/postback/net?key=export-key-1&click_id=x${i}&payout=1.25&offer_id=${i % 5}&event=sale,%20%22big%22${extra}`,
        });
      }),
    );
    answers.forEach((answer, j) => {
      expect(answer.status).toBe(200);
      ids.add((answer.body as { id: string }).id);
      if (start + j === 7) hostileId = (answer.body as { id: string }).id;
    });
  }
  await eventually(
    async () => {
      const lines = (await exportOf('format=ndjson')).text.split('\n').filter(Boolean);
      return lines.length === N ? true : undefined;
    },
    60_000,
    `all ${N} recorded`,
  );
}, 120_000);

afterAll(async () => {
  await relay?.close();
  await tracker?.close();
});

describe('GET /v1/conversions export', () => {
  it('format=csv: every match, a header row of canonical names, parseable, injection-safe', async () => {
    const response = await exportOf('format=csv');
    expect(response.status).toBe(200);
    const rows = parseCsv(response.text);
    const [header, ...body] = rows;
    expect(header).toEqual([...CSV_COLUMNS]);
    expect(header!.slice(0, 4)).toEqual(['id', 'received_at', 'state', 'source']);
    expect(header).toContain('click_id');
    expect(body).toHaveLength(N);
    expect(body.every((row) => row.length === CSV_COLUMNS.length)).toBe(true);
    const column = (name: string) => CSV_COLUMNS.indexOf(name as (typeof CSV_COLUMNS)[number]);
    expect(new Set(body.map((row) => row[column('id')]))).toEqual(ids);
    // Newest first, ISO times.
    const times = body.map((row) => Date.parse(row[column('received_at')]!));
    expect(times.every(Number.isFinite)).toBe(true);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    // A comma and quotes inside a value survive the round trip.
    expect(body.every((row) => row[column('event')] === 'sale, "big"')).toBe(true);
    expect(body.every((row) => row[column('state')] === 'delivered' && row[column('payout')] === '1.25')).toBe(true);
    // Formulas are defused with a leading apostrophe, as spreadsheets show text.
    const hostile = body.find((row) => row[column('id')] === hostileId)!;
    expect(hostile[column('sub1')]).toBe(`'${HOSTILE.sub1}`);
    expect(hostile[column('sub2')]).toBe(`'${HOSTILE.sub2}`);
    expect(hostile[column('sub3')]).toBe(`'${HOSTILE.sub3}`);
    expect(hostile[column('sub4')]).toBe(`'${HOSTILE.sub4}`);
  });

  it('format=ndjson: one conversion per line, as the JSON search shows it', async () => {
    const response = await exportOf('format=ndjson');
    expect(response.status).toBe(200);
    const lines = response.text.split('\n');
    expect(lines.pop()).toBe('');
    const parsed = lines.map((line) => JSON.parse(line) as { id: string; state: string; sub1?: string; click_id: string });
    expect(parsed).toHaveLength(N);
    expect(new Set(parsed.map((c) => c.id))).toEqual(ids);
    // NDJSON carries the values as received: it is not opened by spreadsheets.
    expect(parsed.find((c) => c.id === hostileId)!.sub1).toBe(HOSTILE.sub1);
    const page = (await exportOf('limit=3')).body as { conversions: unknown[] };
    expect(parsed.slice(0, 3)).toEqual(page.conversions);
  });

  it('takes the search filters, and the Accept header instead of format', async () => {
    const csv = await exportOf('offer_id=3', { accept: 'text/csv' });
    expect(csv.status).toBe(200);
    const rows = parseCsv(csv.text);
    expect(rows).toHaveLength(1 + N / 5);
    const ndjson = await exportOf('click_id=x42', { accept: 'application/x-ndjson' });
    expect(
      ndjson.text
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { click_id: string }).click_id),
    ).toEqual(['x42']);
    // Nothing matches: the header row alone.
    expect(parseCsv((await exportOf('format=csv&source=nobody')).text)).toEqual([[...CSV_COLUMNS]]);
    // format=json, or a browser's Accept, answers a page.
    expect((await exportOf('format=json&limit=2', { accept: 'text/csv' })).body.conversions).toHaveLength(2);
    expect((await exportOf('limit=2', { accept: 'text/html,*/*' })).body.conversions).toHaveLength(2);
  });
});
