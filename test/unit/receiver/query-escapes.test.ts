import { describe, expect, it } from 'vitest';
import { fieldsWithInvalidEscapes } from '../../../src/receiver/query-escapes.js';

describe('fieldsWithInvalidEscapes', () => {
  it('finds nothing in a query of valid escapes, plain text or none at all', () => {
    expect(fieldsWithInvalidEscapes('/postback/net')).toEqual([]);
    expect(fieldsWithInvalidEscapes('/postback/net?click_id=abc&payout=1.5')).toEqual([]);
    expect(fieldsWithInvalidEscapes('/postback/net?click_id=%C3%A9t%C3%A9&event=a+b%20c&sub1=%F0%9F%98%80')).toEqual([]);
  });

  it('names each field whose value holds an escape that is not UTF-8', () => {
    expect(fieldsWithInvalidEscapes('/postback/net?key=k&click_id=%C3%28&payout=1')).toEqual(['click_id']);
    expect(fieldsWithInvalidEscapes('/p?a=%FF&b=ok&c=%E2%82')).toEqual(['a', 'c']);
    // A truncated escape is as unreadable as a bad byte.
    expect(fieldsWithInvalidEscapes('/p?sub1=50%')).toEqual(['sub1']);
    expect(fieldsWithInvalidEscapes('/p?sub1=%G1')).toEqual(['sub1']);
  });

  it('names a field by its decoded name, or as sent when the name itself is bad', () => {
    expect(fieldsWithInvalidEscapes('/p?click%5Fid=%C3%28')).toEqual(['click_id']);
    expect(fieldsWithInvalidEscapes('/p?%FFname=x')).toEqual(['%FFname']);
  });

  it('reads only the query, not the path', () => {
    expect(fieldsWithInvalidEscapes('/postback/%FF?click_id=ok')).toEqual([]);
  });
});
