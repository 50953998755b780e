import { describe, expect, it } from 'vitest';
import { candidateIndexes, matchesSearch, type FoundConversion } from '../../../src/store/conversion-search.js';
import { createKeys } from '../../../src/store/keys.js';

const keys = createKeys('p');

describe('candidateIndexes', () => {
  it('always offers the time index, and one per filter that has an index', () => {
    expect(candidateIndexes(keys, {})).toEqual([keys.conversionsByTime]);
    expect(candidateIndexes(keys, { since: 1, until: 2, state: 'delivered' })).toEqual([keys.conversionsByTime]);
    expect(candidateIndexes(keys, { clickId: 'c', source: 's', account: 'a', offerId: 'o', state: 'unattributed' })).toEqual([
      keys.conversionsByTime,
      keys.conversionsByClick('c'),
      keys.conversionsBySource('s'),
      keys.conversionsByAccount('a'),
      keys.conversionsByOffer('o'),
      keys.conversionsByState('unattributed'),
    ]);
  });
});

describe('matchesSearch', () => {
  const found: FoundConversion = {
    record: {
      conversion: { id: 'x-0', source: 's', event: 'sale', received_at: 1_000, click_id: 'c', account: 'a', offer_id: '42' },
      routing: 'routed',
      deliveryIds: ['x-0.0'],
    },
    state: 'failed',
  };

  it('matches when every given filter holds, time bounds inclusive', () => {
    expect(matchesSearch(found, {})).toBe(true);
    expect(
      matchesSearch(found, {
        clickId: 'c',
        source: 's',
        account: 'a',
        offerId: '42',
        state: 'failed',
        since: 1_000,
        until: 1_000,
      }),
    ).toBe(true);
  });

  it('fails on any one filter that does not hold (an index entry can outlive a re-attribution)', () => {
    for (const search of [
      { clickId: 'd' },
      { source: 't' },
      { account: 'b' },
      { offerId: '43' },
      { state: 'delivered' as const },
      { since: 1_001 },
      { until: 999 },
    ]) {
      expect(matchesSearch(found, search), JSON.stringify(search)).toBe(false);
    }
  });
});
