import { describe, expect, it } from 'vitest';
import type { Conversion } from '../../../src/domain/conversion.js';
import { stableConversionId } from '../../../src/domain/conversion-id.js';
import {
  macroValuesOf,
  mapStatus,
  renderTemplate,
  statusFires,
  withStatusMap,
  type MacroValues,
} from '../../../src/templates/index.js';

describe('statusFires', () => {
  it.each<[statuses: string[] | undefined, status: string | undefined, fires: boolean]>([
    [undefined, 'pending', true],
    [undefined, undefined, true],
    [['approved'], 'approved', true],
    [['approved'], 'Approved', true],
    [['APPROVED'], 'approved', true],
    [['approved', 'rejected'], 'rejected', true],
    [['approved'], 'pending', false],
    [['approved'], 'approved ', false],
    [['approved'], 'approve', false],
    [['approved'], 'approvedx', false],
    // No status: the rules judge statuses, and a report without one has nothing to judge.
    [['approved'], undefined, true],
    [['approved'], '', true],
    [['approved'], 'constructor', false],
  ])('statuses %j, status %j -> %s', (statuses, status, fires) => {
    expect(statusFires(statuses, status)).toBe(fires);
  });
});

describe('mapStatus', () => {
  const map = { approved: '1', Rejected: '0', pending: '' };
  it.each<[map: Record<string, string> | undefined, status: string | undefined, expected: string | undefined]>([
    [undefined, 'approved', 'approved'],
    [undefined, undefined, undefined],
    [map, 'approved', '1'],
    [map, 'APPROVED', '1'],
    [map, 'rejected', '0'],
    [map, 'pending', ''],
    // Not listed and no `*`: as received, case kept.
    [map, 'Reversed', 'Reversed'],
    [map, undefined, undefined],
    [{ approved: 'sale', '*': 'other' }, 'approved', 'sale'],
    [{ approved: 'sale', '*': 'other' }, 'chargeback', 'other'],
    // `*` is for statuses received; none received stays none.
    [{ '*': 'other' }, undefined, undefined],
    // The `*` key is not a status of its own.
    [{ '*': 'other' }, '*', 'other'],
    [{ approved: '1' }, 'constructor', 'constructor'],
    [{ approved: '1' }, '__proto__', '__proto__'],
  ])('map %j, status %j -> %j', (statusMap, status, expected) => {
    expect(mapStatus(statusMap, status)).toBe(expected);
  });

  it('matches a key really named __proto__ (as JSON.parse creates it)', () => {
    const parsed = JSON.parse('{"__proto__":"p","*":"x"}') as Record<string, string>;
    expect(mapStatus(parsed, '__proto__')).toBe('p');
    expect(mapStatus(parsed, 'other')).toBe('x');
  });
});

describe('withStatusMap', () => {
  const values: MacroValues = { click_id: 'c1', status: 'approved', payout: '1.50' };

  it.each<[label: string, map: Record<string, string> | undefined, input: MacroValues, expected: MacroValues]>([
    ['no map: as received', undefined, values, values],
    ['mapped', { approved: '1' }, values, { ...values, status: '1' }],
    ['not in the map: as received', { rejected: '0' }, values, values],
    ['fallback', { rejected: '0', '*': 'other' }, values, { ...values, status: 'other' }],
    ['mapped to empty', { approved: '' }, values, { ...values, status: '' }],
    ['no status: untouched', { '*': 'x' }, { click_id: 'c1' }, { click_id: 'c1' }],
  ])('%s', (_label, statusMap, input, expected) => {
    const before = JSON.stringify(input);
    expect(withStatusMap(input, statusMap)).toEqual(expected);
    expect(JSON.stringify(input)).toBe(before);
  });

  it('renders the mapped word percent-encoded, and nothing for an empty one', () => {
    const template = 'https://t.example/pb?cid={click_id}&st={status}';
    expect(renderTemplate(template, withStatusMap(values, { approved: 'a b&c' }))).toBe(
      'https://t.example/pb?cid=c1&st=a%20b%26c',
    );
    expect(renderTemplate(template, withStatusMap(values, { approved: '' }))).toBe('https://t.example/pb?cid=c1&st=');
  });
});

describe('macroValuesOf', () => {
  it('does not offer the relay-assigned previous_id to templates', () => {
    const conversion: Conversion = {
      id: 'r1',
      source: 'net',
      event: 'sale',
      received_at: 1_700_000_000_000,
      click_id: 'c1',
      status: 'approved',
      previous_id: 'r0',
    };
    expect(macroValuesOf(conversion)).toEqual({
      click_id: 'c1',
      event: 'sale',
      status: 'approved',
      conversion_id: stableConversionId(conversion),
      timestamp: '1700000000',
    });
    expect(macroValuesOf(conversion).conversion_id).not.toBe('r1');
  });

  it('gives {conversion_id} the same value for every report of one conversion, whatever its status', () => {
    const pending: Conversion = { id: 'r1', source: 'net', event: 'sale', received_at: 1, click_id: 'c1', status: 'pending' };
    const approved: Conversion = { ...pending, id: 'r2', received_at: 2, status: 'approved', warnings: [] };
    expect(macroValuesOf(approved).conversion_id).toBe(macroValuesOf(pending).conversion_id);
    expect(macroValuesOf(approved)).not.toHaveProperty('warnings');
  });
});
