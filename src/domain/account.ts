/** One URL template, or several (fan-out: one delivery per URL). */
export type UrlTemplates = string | string[];

/**
 * Which conversion statuses a postback level fires for, and how `{status}` is
 * written for its tracker. Statuses are compared without regard to case.
 */
export interface StatusRules {
  /** Statuses that fire; absent: every status does. A conversion without a status always fires. */
  statuses?: string[];
  /** The relay's status (as received) -> the tracker's word; `*` for any status not listed. */
  status_map?: Record<string, string>;
}

/** A per-event entry in its long form, when the event needs status rules of its own. */
export interface EventPostback extends StatusRules {
  url: UrlTemplates;
}

/** A per-event entry: the templates alone (inheriting the enclosing level's status rules), or the long form. */
export type EventTemplates = UrlTemplates | EventPostback;

export interface PostbackLevel extends StatusRules {
  url?: UrlTemplates;
  /** Per-event overrides, keyed by event name (`lead`, `sale`, …). */
  events?: Record<string, EventTemplates>;
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
  | {
      outcome: 'deliver';
      level: TemplateLevel;
      urls: string[];
      /** The status map in force at the level that matched, when it has one. */
      statusMap?: Record<string, string>;
    }
  /** A disabled offer (no level), or the level that matched does not fire for the conversion's status. */
  | { outcome: 'suppressed'; level?: TemplateLevel; reason?: string }
  | { outcome: 'no_postback' };
