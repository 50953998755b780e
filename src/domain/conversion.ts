/**
 * The canonical fields of a conversion, as the contract names them. Every
 * value is kept as text exactly as received (after normalisation): trackers
 * expect `1.50` back, not `1.5`.
 */
export const CONVERSION_FIELDS = [
  'click_id',
  'event',
  'payout',
  'amount',
  'currency',
  'offer_id',
  'order_id',
  'conversion_id',
  'status',
  'account',
  'sub1',
  'sub2',
  'sub3',
  'sub4',
  'sub5',
] as const;

export type ConversionField = (typeof CONVERSION_FIELDS)[number];

/** Normalised, validated fields of one inbound report; absent fields are omitted. */
export type ConversionFields = Partial<Record<ConversionField, string>>;

export const DEFAULT_EVENT = 'conversion';

/** An optional inbound value the receiver dropped instead of refusing the conversion for it. */
export interface FieldWarning {
  field: string;
  /** The value as received (cut short when long). */
  value: string;
  message: string;
}

/** A conversion as the relay keeps it: the fields plus what the relay assigned. */
export interface Conversion extends ConversionFields {
  /** Assigned by the relay; also the default `{conversion_id}` when the sender gave none. */
  id: string;
  source: string;
  event: string;
  /** Unix milliseconds when the receiver accepted it. */
  received_at: number;
  /**
   * The relay's id of the conversion this one follows: an earlier report of the
   * same source, click, event and conversion/order id (a status change). Set by the worker.
   */
  previous_id?: string;
  /** Values dropped on the way in (malformed, or unreplaced macros); absent when none. */
  warnings?: FieldWarning[];
}

export type ConversionState = 'pending' | 'unattributed' | 'suppressed' | 'no_postback' | 'delivered' | 'failed';

export type DeliveryState = 'pending' | 'retrying' | 'delivered' | 'failed';

export const DELIVERY_STATES: readonly DeliveryState[] = ['pending', 'retrying', 'delivered', 'failed'];
