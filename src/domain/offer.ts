/**
 * An offer's tracking-link settings: where a click lands, and how long after
 * the click a conversion can still be attributed to it.
 */
export interface OfferConfig {
  /** Landing URL template; see src/tracking/landing-url.ts for the macros it may use. */
  url: string;
  /** Overrides the configured attribution window for this offer's clicks. */
  attribution_window_days?: number;
  /** Same, in seconds, for windows shorter than a day; at most one of the two is set. */
  attribution_window_seconds?: number;
}
