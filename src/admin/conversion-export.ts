import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { stringify } from 'csv-stringify';
import type { z } from 'zod';
import { CONVERSION_FIELDS } from '../domain/conversion.js';
import type { Ledger } from '../store/ledger.js';
import type { ConversionSearch, FoundConversion } from '../store/conversion-search.js';
import type { conversionListQuerySchema } from './attribution-schemas.js';

/** Index entries one search page reads at most (filters without an index of their own end a page short, with a cursor). */
export const SEARCH_SCAN_BUDGET = 5_000;
/** Conversions an export reads per step: its memory is one such page, whatever the total. */
const EXPORT_PAGE = 500;

export type ExportFormat = 'csv' | 'ndjson';

type Query = z.output<typeof conversionListQuerySchema>;

export function searchOf(query: Query): ConversionSearch {
  return {
    ...(query.click_id !== undefined ? { clickId: query.click_id } : {}),
    ...(query.source !== undefined ? { source: query.source } : {}),
    ...(query.account !== undefined ? { account: query.account } : {}),
    ...(query.offer_id !== undefined ? { offerId: query.offer_id } : {}),
    ...(query.state !== undefined ? { state: query.state } : {}),
    ...(query.since !== undefined ? { since: query.since } : {}),
    ...(query.until !== undefined ? { until: query.until } : {}),
  };
}

/** `format` wins; else an Accept header naming CSV or NDJSON asks for the export. */
export function exportFormat(format: Query['format'], accept: string | undefined): ExportFormat | undefined {
  if (format === 'json') return undefined;
  if (format) return format;
  const wanted = (accept ?? '').toLowerCase();
  if (wanted.includes('text/csv')) return 'csv';
  if (wanted.includes('application/x-ndjson') || wanted.includes('application/ndjson')) return 'ndjson';
  return undefined;
}

/** A found conversion as the API shows it. */
export function presentFound({ record, state }: FoundConversion) {
  return {
    ...record.conversion,
    received_at: new Date(record.conversion.received_at).toISOString(),
    state,
    ...(record.reason ? { reason: record.reason } : {}),
    ...(record.level ? { level: record.level } : {}),
  };
}

/** CSV columns: the contract's canonical names, identity first, then the fields as received, then the outcome. */
export const CSV_COLUMNS = [
  'id',
  'received_at',
  'state',
  'source',
  ...CONVERSION_FIELDS,
  'previous_id',
  'level',
  'reason',
] as const;

// Spreadsheet programs run a cell starting with one of these as a formula (CSV injection).
// A plain number cannot carry one, so a negative payout stays a number.
const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[-+]?\d+(?:\.\d+)?$/;

/** A cell as written: prefixed with `'` where a spreadsheet would read a formula. */
export function csvSafe(value: string): string {
  return FORMULA_START.test(value) && !PLAIN_NUMBER.test(value) ? `'${value}` : value;
}

// What the sender wrote is defused; the relay's own values (ids are base64url and may start
// with `-`) are written as they are, so an id copied from the export finds its conversion.
const SENDER_VALUES = new Set<string>(CONVERSION_FIELDS);

export function csvRow(found: FoundConversion): string[] {
  const shown = presentFound(found) as Record<string, unknown>;
  return CSV_COLUMNS.map((column) => {
    const value = shown[column];
    if (typeof value !== 'string') return '';
    return SENDER_VALUES.has(column) ? csvSafe(value) : value;
  });
}

/** Every match, page by page: only one page is held at a time, and the next is read when the client has taken the last. */
async function* matches(ledger: Ledger, search: ConversionSearch): AsyncGenerator<FoundConversion> {
  let cursor: string | undefined;
  do {
    const page = await ledger.searchConversions(search, {
      limit: EXPORT_PAGE,
      budget: Number.MAX_SAFE_INTEGER,
      ...(cursor ? { cursor } : {}),
    });
    yield* page.found;
    cursor = page.cursor;
  } while (cursor);
}

/**
 * Streams the export: Readable.from pulls the next conversion only when the
 * socket has room (the stream's backpressure), so memory stays one page of
 * the index and a few rows, however many conversions match. An error after
 * the first bytes cuts the response short (the status is already sent).
 */
export function sendExport(reply: FastifyReply, format: ExportFormat, ledger: Ledger, search: ConversionSearch): FastifyReply {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  if (format === 'ndjson') {
    const lines = Readable.from(
      (async function* () {
        for await (const found of matches(ledger, search)) yield `${JSON.stringify(presentFound(found))}\n`;
      })(),
    );
    return reply
      .type('application/x-ndjson; charset=utf-8')
      .header('content-disposition', `attachment; filename="conversions-${stamp}.ndjson"`)
      .send(lines);
  }
  const rows = Readable.from(
    (async function* () {
      for await (const found of matches(ledger, search)) yield csvRow(found);
    })(),
  );
  const csv = rows.pipe(stringify({ header: true, columns: [...CSV_COLUMNS] }));
  rows.on('error', (error) => csv.destroy(error));
  return reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="conversions-${stamp}.csv"`)
    .send(csv);
}
