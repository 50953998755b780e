/** One URL template, or several (fan-out: one delivery per URL). */
export type UrlTemplates = string | string[];

export interface PostbackLevel {
  url?: UrlTemplates;
  /** Per-event overrides, keyed by event name (`lead`, `sale`, …). */
  events?: Record<string, UrlTemplates>;
}

export interface OfferOverride extends PostbackLevel {
  /** Suppress pings for this offer altogether. */
  disabled?: boolean;
}

/** Who receives pings: the global postback, its per-event variants and per-offer overrides. */
export interface AccountConfig {
  postback?: PostbackLevel;
  offers?: Record<string, OfferOverride>;
}

export type TemplateLevel = 'offer_event' | 'offer' | 'global_event' | 'global';

export type Resolution =
  | { outcome: 'deliver'; level: TemplateLevel; urls: string[] }
  | { outcome: 'suppressed' }
  | { outcome: 'no_postback' };
