import { describe, expect, it } from 'vitest';
import { accountInputSchema, toDetails } from '../../../src/admin/schemas.js';
import { checkAccountTemplates } from '../../../src/admin/account-check.js';
import { expandAccountPresets } from '../../../src/admin/account-presets.js';
import { createAddressPolicy } from '../../../src/delivery/address-policy.js';

const URL_T = 'https://t.example/pb?cid={click_id}&st={status}';

function details(input: unknown) {
  const result = accountInputSchema.safeParse(input);
  return result.success ? [] : toDetails(result.error);
}

describe('account input: status rules', () => {
  it('accepts statuses and status_map on postback, offers and both forms of event entries', () => {
    const input = {
      postback: {
        url: URL_T,
        statuses: ['approved', 'rejected'],
        status_map: { approved: '1', rejected: '0', '*': 'other' },
        events: {
          lead: URL_T,
          sale: { url: [URL_T], statuses: ['approved'], status_map: { approved: 'sale ok' } },
          signup: { url: URL_T },
        },
      },
      offers: {
        '42': { url: URL_T, statuses: ['Approved'], events: { sale: { url: URL_T, status_map: { pending: '' } } } },
      },
    };
    const result = accountInputSchema.safeParse(input);
    expect(result.error).toBeUndefined();
    // Stored as given: nothing is normalised away.
    expect(result.data).toEqual(input);
  });

  const long = 'x'.repeat(65);
  it.each<[label: string, input: unknown, path: string, message: string | RegExp]>([
    [
      'over-long status',
      { postback: { url: URL_T, statuses: ['approved', long] } },
      'postback.statuses.1',
      'must be at most 64 characters',
    ],
    ['empty status', { offers: { '42': { statuses: [''] } } }, 'offers.42.statuses.0', 'must not be empty'],
    [
      'control character in a status',
      { postback: { statuses: ['appr\u0000oved'] } },
      'postback.statuses.0',
      'must not contain control characters',
    ],
    ['padded status', { postback: { statuses: [' approved'] } }, 'postback.statuses.0', 'must not start or end with a space'],
    ['empty statuses list', { postback: { statuses: [] } }, 'postback.statuses', /^list at least one status/],
    ['* in statuses', { postback: { statuses: ['*'] } }, 'postback.statuses.0', /only means "any other status" in status_map/],
    ['status not a string', { postback: { statuses: [1] } }, 'postback.statuses.0', /expected string/],
    ['statuses not a list', { postback: { statuses: 'approved' } }, 'postback.statuses', /expected array/],
    [
      'over-long status_map key',
      { postback: { status_map: { [long]: '1' } } },
      `postback.status_map.${long}`,
      'status must be at most 64 characters',
    ],
    [
      'control character in a status_map key',
      { postback: { status_map: { 'a\nb': '1' } } },
      'postback.status_map.a\nb',
      'status must not contain control characters',
    ],
    [
      'over-long status_map value',
      { offers: { '7': { status_map: { approved: long } } } },
      'offers.7.status_map.approved',
      'must be at most 64 characters',
    ],
    [
      'control character in a status_map value',
      { postback: { status_map: { approved: '1\r' } } },
      'postback.status_map.approved',
      'must not contain control characters',
    ],
    [
      'macro in a status_map value',
      { postback: { status_map: { approved: '{payout}' } } },
      'postback.status_map.approved',
      /^must be plain text/,
    ],
    [
      'status_map value not a string',
      { postback: { status_map: { approved: 1 } } },
      'postback.status_map.approved',
      /expected string/,
    ],
    [
      'status_map keys the same but for case',
      { postback: { status_map: { approved: '1', Approved: '2' } } },
      'postback.status_map.Approved',
      'same status as "approved" (case is ignored)',
    ],
    [
      'long form event: bad status',
      { postback: { events: { sale: { url: URL_T, statuses: [long] } } } },
      'postback.events.sale.statuses.0',
      'must be at most 64 characters',
    ],
    [
      'long form event: bad map value',
      { offers: { '42': { events: { sale: { url: URL_T, status_map: { approved: '{x}' } } } } } },
      'offers.42.events.sale.status_map.approved',
      /^must be plain text/,
    ],
    [
      'long form event: unknown field',
      { postback: { events: { sale: { url: URL_T, status: ['a'] } } } },
      'postback.events.sale',
      'unknown field(s): status',
    ],
    [
      'long form event without url',
      { postback: { events: { sale: { statuses: ['approved'] } } } },
      'postback.events.sale',
      /with url set$/,
    ],
  ])('rejects %s, naming the path', (_label, input, path, message) => {
    const problems = details(input);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toBe(path);
    if (typeof message === 'string') expect(problems[0]!.message).toBe(message);
    else expect(problems[0]!.message).toMatch(message);
  });

  it('caps the size of statuses and status_map', () => {
    const many = Array.from({ length: 33 }, (_, i) => `s${i}`);
    expect(details({ postback: { statuses: many } })).toEqual([{ path: 'postback.statuses', message: 'at most 32 statuses' }]);
    expect(details({ postback: { status_map: Object.fromEntries(many.map((s) => [s, '1'])) } })).toEqual([
      { path: 'postback.status_map', message: 'at most 32 entries' },
    ]);
  });
});

describe('account check and presets with the long form of an event entry', () => {
  const strict = { addressPolicy: createAddressPolicy({ allowCidrs: [] }) };

  it('checks the templates of the long form under its url path', () => {
    const { errors, warnings } = checkAccountTemplates(
      {
        postback: {
          events: {
            sale: { url: ['https://t.example/?cid={click_id}', 'https://t.example/?c={clik_id}'], statuses: ['approved'] },
            lead: { url: 'https://t.example/no-click' },
            refund: 'http://10.0.0.1/?cid={click_id}',
          },
        },
      },
      strict,
    );
    expect(errors).toEqual([
      { path: 'postback.events.sale.url.1', message: 'unknown macro {clik_id}' },
      { path: 'postback.events.refund', message: 'blocked address 10.0.0.1 (private): deliveries there are refused' },
    ]);
    expect(warnings.map((w) => w.path)).toEqual(['postback.events.lead.url']);
  });

  it('expands presets inside the long form and keeps its rules', () => {
    const base = 'https://trk.example.com';
    const { value, errors } = expandAccountPresets({
      offers: {
        '42': {
          events: {
            sale: { url: { preset: 'voluum', base_url: base }, statuses: ['approved'], status_map: { approved: '1' } },
            lead: { url: [{ preset: 'voloom', base_url: base }] },
          },
        },
      },
    });
    expect(value).toMatchObject({
      offers: {
        '42': {
          events: {
            sale: {
              url: 'https://trk.example.com/postback?cid={click_id}&payout={payout}&txid={conversion_id}',
              statuses: ['approved'],
              status_map: { approved: '1' },
            },
          },
        },
      },
    });
    expect(errors).toEqual([{ path: 'offers.42.events.lead.url.0', message: expect.stringMatching(/^unknown preset "voloom"/) }]);
  });
});
