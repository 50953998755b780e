import type { OfferConfig } from '../domain/offer.js';

const DAY_MS = 86_400_000;

/** How long a click on this offer stays attributable: the offer's own window, else the configured default. */
export function attributionWindowMs(offer: OfferConfig, defaultDays: number): number {
  if (offer.attribution_window_seconds !== undefined) return Math.round(offer.attribution_window_seconds * 1000);
  const days = offer.attribution_window_days ?? defaultDays;
  // Redis rejects a PX of 0; a window always keeps the click for at least a moment.
  return Math.max(1, Math.round(days * DAY_MS));
}
