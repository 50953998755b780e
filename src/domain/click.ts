/**
 * A click registered by `/click/:offer_id`, keyed by the transaction id it
 * was issued. A later conversion carrying that id takes what it lacks from here.
 */
export interface Click {
  offer_id: string;
  account?: string;
  sub1?: string;
  sub2?: string;
  sub3?: string;
  sub4?: string;
  sub5?: string;
  /** Unix milliseconds. */
  created_at: number;
}

export const SUB_FIELDS = ['sub1', 'sub2', 'sub3', 'sub4', 'sub5'] as const;
export type SubField = (typeof SUB_FIELDS)[number];
