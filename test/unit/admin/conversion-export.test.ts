import { describe, expect, it } from 'vitest';
import { csvRow, csvSafe, CSV_COLUMNS, exportFormat } from '../../../src/admin/conversion-export.js';

describe('csvSafe', () => {
  it('prefixes with an apostrophe what a spreadsheet would run as a formula', () => {
    for (const value of ['=1+1', '+cmd|calc', '-2+3', '@SUM(A1)', '\tx', '\r=1', '=HYPERLINK("http://x")', '-', '+']) {
      expect(csvSafe(value), JSON.stringify(value)).toBe(`'${value}`);
    }
  });

  it('leaves plain numbers (a negative payout) and ordinary text alone', () => {
    for (const value of ['-1.50', '+2', '-3', '1.25', 'abc', 'a=b', '', "'quoted", 'sale, "big"']) {
      expect(csvSafe(value), JSON.stringify(value)).toBe(value);
    }
  });
});

describe('csvRow', () => {
  it('defuses what the sender wrote but keeps the relay ids as they are', () => {
    const row = csvRow({
      record: {
        conversion: {
          id: '-5Nuh-0',
          source: 'net',
          event: 'sale',
          received_at: 0,
          click_id: '=cmd',
          sub1: '@x',
          payout: '-1.50',
        },
        routing: 'routed',
        deliveryIds: [],
      },
      state: 'delivered',
    });
    const cell = (name: (typeof CSV_COLUMNS)[number]) => row[CSV_COLUMNS.indexOf(name)];
    expect(row).toHaveLength(CSV_COLUMNS.length);
    expect(cell('id')).toBe('-5Nuh-0');
    expect(cell('received_at')).toBe('1970-01-01T00:00:00.000Z');
    expect(cell('click_id')).toBe("'=cmd");
    expect(cell('sub1')).toBe("'@x");
    expect(cell('payout')).toBe('-1.50');
    expect(cell('amount')).toBe('');
  });
});

describe('exportFormat', () => {
  it('takes format first, then an Accept naming CSV or NDJSON; otherwise a JSON page', () => {
    expect(exportFormat('csv', 'application/json')).toBe('csv');
    expect(exportFormat('ndjson', undefined)).toBe('ndjson');
    expect(exportFormat('json', 'text/csv')).toBeUndefined();
    expect(exportFormat(undefined, 'text/csv; charset=utf-8')).toBe('csv');
    expect(exportFormat(undefined, 'application/x-ndjson')).toBe('ndjson');
    expect(exportFormat(undefined, 'application/ndjson')).toBe('ndjson');
    expect(exportFormat(undefined, 'text/html,application/xhtml+xml,*/*;q=0.8')).toBeUndefined();
    expect(exportFormat(undefined, undefined)).toBeUndefined();
  });
});
