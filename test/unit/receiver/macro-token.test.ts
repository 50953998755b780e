import { describe, expect, it } from 'vitest';
import { isUnreplacedMacro } from '../../../src/receiver/macro-token.js';

describe('isUnreplacedMacro', () => {
  it.each([
    '{sub1}',
    '{SubId1}',
    '{{clickid}}',
    '{{order.number}}',
    '#s2#',
    '##CLICK_ID##',
    '[ml_sub1]',
    '%subid1%',
    '${visit_id}',
    ' {payout} ',
    '%7Bsubacc4%7D',
    '{aff_click_id}',
  ])('%j is a placeholder the network left in', (value) => {
    expect(isUnreplacedMacro(value)).toBe(true);
  });

  it.each([
    'abc123',
    'cf_8GQ2xyz',
    '{}',
    '#1#',
    '#',
    '{a',
    'x{sub1}',
    '{sub1}x',
    '{sub1}{sub2}',
    '#s2##s3#x',
    '1,5,0',
    '%',
    '100%',
    '[1]',
    'Offer #1 (EU)',
    '5d4b-{x}',
  ])('%j is data', (value) => {
    expect(isUnreplacedMacro(value)).toBe(false);
  });
});
