import { describe, expect, it } from 'vitest';
import { attributionWindowMs } from '../../../src/tracking/attribution-window.js';

describe('attributionWindowMs', () => {
  it('uses the configured default, the offer days, or the offer seconds', () => {
    expect(attributionWindowMs({ url: 'u' }, 30)).toBe(30 * 86_400_000);
    expect(attributionWindowMs({ url: 'u', attribution_window_days: 7 }, 30)).toBe(7 * 86_400_000);
    expect(attributionWindowMs({ url: 'u', attribution_window_seconds: 90 }, 30)).toBe(90_000);
  });

  it('accepts a fractional configured default and never yields 0', () => {
    expect(attributionWindowMs({ url: 'u' }, 0.5)).toBe(43_200_000);
    expect(attributionWindowMs({ url: 'u' }, 1e-12)).toBe(1);
  });
});
