/**
 * Status rules of a postback level, pure: whether a conversion's status fires
 * there, and how `{status}` is written for that level's tracker.
 *
 * Statuses are compared without regard to case: one network writes
 * `Approved`, another `APPROVED`, and an operator writing `approved` means both.
 */

/** The `status_map` key that stands for every status not listed. */
export const STATUS_MAP_FALLBACK = '*';

/** The form statuses are compared in. */
export function statusKey(status: string): string {
  return status.toLowerCase();
}

/**
 * Whether a conversion with `status` fires under `statuses`. No list: every
 * status fires. No status: fires too, since the rules judge statuses and a
 * report without one (a store that never sends any) has nothing to judge;
 * suppressing it would silently break a global postback.
 */
export function statusFires(statuses: readonly string[] | undefined, status: string | undefined): boolean {
  if (statuses === undefined || status === undefined || status === '') return true;
  const key = statusKey(status);
  return statuses.some((allowed) => statusKey(allowed) === key);
}

/**
 * The tracker's word for `status`: the entry for it, else the `*` entry, else
 * the status as received. A conversion without a status has nothing to
 * translate and stays without one (the `*` entry is for statuses received).
 */
export function mapStatus(map: Readonly<Record<string, string>> | undefined, status: string | undefined): string | undefined {
  if (map === undefined || status === undefined || status === '') return status;
  const key = statusKey(status);
  // Object.entries lists own keys only: a status named `constructor` finds nothing on the prototype.
  for (const [from, to] of Object.entries(map)) {
    if (from !== STATUS_MAP_FALLBACK && statusKey(from) === key) return to;
  }
  return Object.hasOwn(map, STATUS_MAP_FALLBACK) ? map[STATUS_MAP_FALLBACK] : status;
}
