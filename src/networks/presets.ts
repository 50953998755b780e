import type { ConversionField } from '../domain/conversion.js';

/**
 * Inbound network presets: how each affiliate network fills a postback URL
 * and which of its names the relay must read, or must not.
 *
 * In a network's postback the tracker's click id comes back in a sub id the
 * affiliate put on the tracking link, while `transaction_id`/`tid` is the
 * network's own click id (Everflow, TUNE) or an advertiser order id (CAKE
 * `#tid#`), and `affiliate_id` is the network's publisher number. So every
 * network preset reads its click-id sub id first and never reads those names
 * as the click id or the account.
 *
 * Facts come from /shared/research/inbound-networks.md; each preset cites the
 * pages it rests on and says which facts are the network's own documentation
 * (`official`), a second-hand catalogue or blog (`secondary`), or our own
 * inference (`inferred`). Secondary facts checked again against the stored
 * pages say so in a comment.
 */

export type SourceGrade = 'official' | 'secondary' | 'inferred';

export interface PresetCitation {
  url: string;
  /** What this page supports. */
  covers: string;
  grade: SourceGrade;
}

export interface NetworkPreset {
  id: string;
  name: string;
  /** How the network writes a macro, e.g. `{name}` or `#name#`. */
  macro_syntax: string;
  /** Whether the network only replaces macros written in exactly this case. */
  case_sensitive: boolean;
  /** The parameter on the network's tracking link that must carry the tracker's click id. */
  click_id_link_param?: string;
  /**
   * The URL to paste: per canonical parameter, the network's macro for it.
   * Order is the order of the query string.
   */
  postback: ReadonlyArray<readonly [ConversionField, string]>;
  /** The network's own parameter names per canonical field, read before the defaults. */
  params: Readonly<Partial<Record<ConversionField, readonly string[]>>>;
  /** Default names this network uses for something else: read as no field. */
  exclude: readonly string[];
  /** The network's status words -> canonical ones (approved, pending, declined, hold); matched without regard to case. */
  status_map?: Readonly<Record<string, string>>;
  notes: readonly string[];
  sources: readonly PresetCitation[];
}

/**
 * Names a network postback never means as our click id or account: the
 * network's own click/transaction id and its publisher number.
 */
const NETWORK_OWN_NAMES = ['transaction_id', 'tid', 'affiliate_id', 'aff_id'] as const;

const everflow: NetworkPreset = {
  id: 'everflow',
  name: 'Everflow',
  macro_syntax: '{name}',
  case_sensitive: true,
  click_id_link_param: 'sub1',
  postback: [
    ['click_id', '{sub1}'],
    // Conflicting evidence: `{payout_amount}` (ClickFlare's Everflow guide, catalogues) vs `{payout}`
    // (Everflow's partner page, but it arrived literal in a live test). The first is used; the note says so.
    ['payout', '{payout_amount}'],
    ['amount', '{sale_amount}'],
    ['offer_id', '{offer_id}'],
    ['event', '{event_id}'],
    // Everflow's own click id, kept as a sub id: as a txid Voluum would drop the click's later events.
    ['sub5', '{transaction_id}'],
  ],
  params: { click_id: ['sub1'], payout: ['payout_amount'], event: ['event_id', 'event_name'] },
  exclude: NETWORK_OWN_NAMES,
  notes: [
    "Put the tracker's click id on the Everflow tracking link as sub1=… ({sub1} comes back in the postback). If you use another slot, change click_id={sub1} to it.",
    "{transaction_id} is Everflow's own click id, not the tracker's: it is sent as sub5, never as the click id.",
    'If payouts arrive empty with a warning, your Everflow account names the payout macro {payout}: replace {payout_amount} with it.',
    'Everflow deactivates a partner postback after 25 failures in a row; the relay answers 200 to every usable postback.',
  ],
  sources: [
    {
      url: 'https://helpdesk.everflow.io/en/articles/6173403-a-guide-to-parameters-and-macros',
      covers: 'macros in {curly} brackets; {sub1}…{sub5}; {transaction_id}',
      grade: 'official',
    },
    {
      url: 'https://helpdesk.everflow.io/customer/postback-tracking-link-configurations-for-affiliate-marketing-platforms',
      covers: '{sub1}, {transaction_id}, {affiliate_id}; deactivation after 25 failures',
      grade: 'official',
    },
    // Rechecked on the stored mrpostback.com page: {event_id}, {event_name}, {sale_amount} listed for partner postbacks.
    {
      url: 'https://mrpostback.com/everflow',
      covers: '{sale_amount}, {event_id}, {event_name}, {payout_amount}',
      grade: 'secondary',
    },
    {
      url: 'https://help.clickflare.io/en/tracking/how-conversion-payouts-are-tracked-in-clickflare',
      covers: '{payout_amount} in an Everflow postback',
      grade: 'secondary',
    },
  ],
};

const tune: NetworkPreset = {
  id: 'tune',
  name: 'TUNE (HasOffers)',
  macro_syntax: '{name}',
  case_sensitive: true,
  click_id_link_param: 'aff_click_id',
  postback: [
    ['click_id', '{aff_click_id}'],
    ['payout', '{payout}'],
    ['amount', '{amount}'],
    ['currency', '{currency}'],
    ['offer_id', '{offer_id}'],
    ['sub5', '{transaction_id}'],
  ],
  params: { click_id: ['aff_click_id'] },
  exclude: NETWORK_OWN_NAMES,
  notes: [
    "Put the tracker's click id on the TUNE tracking link as aff_click_id=… ({aff_click_id} comes back in the postback).",
    'Some networks ask for the click id in aff_sub instead: then change click_id={aff_click_id} to click_id={aff_sub}.',
    "{transaction_id} is TUNE's own click id: it is sent as sub5, never as the click id.",
  ],
  sources: [
    {
      url: 'https://support.tune.com/hc/en-us/articles/1500005236722',
      covers: '{aff_click_id} returns the affiliate click id',
      grade: 'official',
    },
    {
      url: 'https://support.tune.com/hc/en-us/articles/1500005137081',
      covers: '{transaction_id}, {amount}, {affiliate_id}',
      grade: 'official',
    },
    { url: 'https://developers.tune.com/network-models/offerurl', covers: '{offer_id}, {aff_sub}…{aff_sub5}', grade: 'official' },
    { url: 'https://docs.tracklysms.com/integrations/tune', covers: '{payout}', grade: 'secondary' },
    {
      url: 'https://github.com/fenjo26/Orbitra.link/blob/main/data/keitaro_affiliate_networks.json',
      covers: '{currency} in TUNE templates (Keitaro catalogue)',
      grade: 'secondary',
    },
  ],
};

const cake: NetworkPreset = {
  id: 'cake',
  name: 'CAKE',
  macro_syntax: '#name#',
  case_sensitive: false,
  click_id_link_param: 's2',
  postback: [
    ['click_id', '#s2#'],
    ['payout', '#price#'],
    ['offer_id', '#oid#'],
    ['order_id', '#tid#'],
    ['conversion_id', '#leadid#'],
  ],
  // `#tid#` is the advertiser's order reference, `#cid#` the creative id, `#affid#` the publisher.
  params: { click_id: ['s2'], payout: ['price'], offer_id: ['oid'], order_id: ['tid'], conversion_id: ['leadid'] },
  exclude: ['cid', 'transaction_id', 'affiliate_id', 'aff_id', 'affid'],
  notes: [
    "Put the tracker's click id on the CAKE tracking link as s2=… (#s2# comes back in the postback).",
    'CAKE cuts s2 at 100 characters and spills the rest into s3: for longer click ids use click_id=#s2##s3#.',
    "#cid# is the creative id and #tid# the advertiser's order id: neither is read as the click id.",
  ],
  sources: [
    {
      url: 'https://support.getcake.com/support/solutions/articles/5000545788',
      covers: '#s2#…#s5#, #price#, #oid#, #tid#, #leadid#, #affid#, #cid# (creative)',
      grade: 'official',
    },
    {
      url: 'https://support.getcake.com/en/support/solutions/articles/5000546096',
      covers: '#s2# is the usual click-id token',
      grade: 'official',
    },
  ],
};

const affise: NetworkPreset = {
  id: 'affise',
  name: 'Affise',
  macro_syntax: '{name}',
  case_sensitive: true,
  click_id_link_param: 'sub1',
  postback: [
    ['click_id', '{sub1}'],
    ['payout', '{sum}'],
    ['amount', '{order_sum}'],
    ['currency', '{currency}'],
    ['offer_id', '{offerid}'],
    ['event', '{goal}'],
    ['status', '{status}'],
    ['order_id', '{transactionid}'],
  ],
  params: { click_id: ['sub1'], amount: ['order_sum'], offer_id: ['offerid'], order_id: ['transactionid'] },
  exclude: NETWORK_OWN_NAMES,
  status_map: { '1': 'approved', '2': 'pending', '3': 'declined', '5': 'hold' },
  notes: [
    "Affise has no click-id macro: put the tracker's click id on the tracking link as sub1=… ({sub1} comes back).",
    'Statuses arrive as numbers and are read as 1 approved, 2 pending, 3 declined, 5 hold; Affise re-fires the postback when a status changes.',
  ],
  sources: [
    // Rechecked on the stored page: {sum}, {order_sum}, {offerid}, {goal}, {transactionid}, statuses 1/2/3/5, "no clickid macro".
    {
      url: 'https://help-center.affise.com/en/articles/6483741-affiliate-postback-url-macros',
      covers: 'every macro used here and the status values',
      grade: 'official',
    },
    {
      url: 'https://help-center.affise.com/en/articles/6655842-affiliate-postback-macros-affiliates',
      covers: 'no clickid macro; use {sub1}–{sub8}',
      grade: 'official',
    },
  ],
};

const impact: NetworkPreset = {
  id: 'impact',
  name: 'Impact',
  macro_syntax: '{PascalCase}',
  case_sensitive: true,
  click_id_link_param: 'subId1',
  postback: [
    ['click_id', '{SubId1}'],
    ['payout', '{Payout}'],
    ['amount', '{Amount}'],
    ['currency', '{Currency}'],
    ['offer_id', '{CampaignId}'],
    ['event', '{ActionTrackerId}'],
    ['conversion_id', '{ActionId}'],
    ['status', '{Status}'],
  ],
  params: {
    click_id: ['subid1'],
    offer_id: ['campaignid'],
    event: ['actiontrackerid', 'actiontrackername'],
    conversion_id: ['actionid'],
    order_id: ['oid'],
    status: ['status', 'actionstatus'],
  },
  exclude: NETWORK_OWN_NAMES,
  // Impact's words (any case); `reversed` (cancelled or refunded) is read as declined (inferred).
  status_map: { pending: 'pending', approved: 'approved', reversed: 'declined' },
  notes: [
    "Put the tracker's click id on the Impact link as subId1=…; Impact macros are case-sensitive: {SubId1}, not {subid1}.",
    'Choose GET as the method. Impact does not URL-encode sub ids: keep click ids URL-safe.',
    'Impact re-fires on status changes (pending → approved → reversed); reversed is read as declined.',
  ],
  sources: [
    {
      url: 'https://help.impact.com/en/support/solutions/articles/155000000882',
      covers: '{Payout}, {Amount}, {Currency}, {CampaignId}, {ActionTrackerId}, {ActionId}, {Status}',
      grade: 'official',
    },
    {
      url: 'https://integrations.impact.com/impact-brand/reference/enable-postbacks',
      covers: 'GET or POST; fires when an action is tracked, modified or reversed',
      grade: 'official',
    },
    // Rechecked on the stored mrpostback.com page: {SubId1} case-sensitive, statuses pending/approved/reversed.
    { url: 'https://www.mrpostback.com/impact', covers: '{SubId1} (case-sensitive), status words', grade: 'secondary' },
    {
      url: 'https://affpixel.com/blog/impact-postback-setup',
      covers: '{OID}, {ActionStatus}; sub ids not URL-encoded',
      grade: 'secondary',
    },
  ],
};

const scaleo: NetworkPreset = {
  id: 'scaleo',
  name: 'Scaleo',
  macro_syntax: '{name}',
  case_sensitive: true,
  click_id_link_param: 'aff_click_id',
  postback: [
    ['click_id', '{aff_click_id}'],
    ['payout', '{payout}'],
    ['currency', '{currency}'],
    ['status', '{conv_status}'],
  ],
  params: { click_id: ['aff_click_id'], status: ['conv_status'] },
  exclude: NETWORK_OWN_NAMES,
  // Scaleo's status words; `rejected` and `trash` are read as declined (inferred).
  status_map: { approved: 'approved', pending: 'pending', rejected: 'declined', trash: 'declined' },
  notes: [
    "Put the tracker's click id on the Scaleo tracking link as aff_click_id=… ({aff_click_id} comes back).",
    "{payout}, {currency} and {conv_status} come from a tracker's catalogue, not Scaleo's own list: check them against your Scaleo postback page.",
  ],
  sources: [
    // Rechecked on the stored page: aff_click_id / {aff_click_id}, affiliate postback example starting cid={aff_click_id}.
    {
      url: 'https://help.scaleo.io/article/384-affiliate-parameters',
      covers: '{aff_click_id}, {sub_id1}…{sub_id5}, {affiliate_id}',
      grade: 'official',
    },
    {
      url: 'https://help.scaleo.io/article/483-custom-statuses-for-conversions',
      covers: 'statuses approved/pending/rejected/trash',
      grade: 'official',
    },
    {
      url: 'https://github.com/fenjo26/Orbitra.link/blob/main/data/keitaro_affiliate_networks.json',
      covers: '{payout}, {currency}, {conv_status} (Keitaro catalogue)',
      grade: 'secondary',
    },
  ],
};

const trackier: NetworkPreset = {
  id: 'trackier',
  name: 'Trackier',
  macro_syntax: '{name}',
  case_sensitive: true,
  click_id_link_param: 'p1',
  postback: [
    ['click_id', '{p1}'],
    ['payout', '{payout}'],
    ['offer_id', '{campaign_id}'],
    ['order_id', '{txn_id}'],
  ],
  params: { click_id: ['p1'], offer_id: ['campaign_id'], order_id: ['txn_id'] },
  exclude: NETWORK_OWN_NAMES,
  notes: [
    "Put the tracker's click id on the Trackier tracking link as p1=… ({p1} comes back).",
    "Trackier's {click_id} macro is Trackier's own click id: do not put it in the click_id parameter.",
  ],
  sources: [
    {
      url: 'https://help.trackier.com/support/solutions/articles/31000154963',
      covers: '{p1} for the click id, {payout}, {txn_id}',
      grade: 'official',
    },
    {
      url: 'https://trackier.com/trackier-macros',
      covers: "{click_id} (Trackier's), {campaign_id}, {publisher_id}",
      grade: 'official',
    },
  ],
};

const cpalead: NetworkPreset = {
  id: 'cpalead',
  name: 'CPAlead',
  macro_syntax: '{name}',
  case_sensitive: true,
  click_id_link_param: 'subid',
  postback: [
    ['click_id', '{subid}'],
    ['payout', '{payout}'],
    ['offer_id', '{campaign_id}'],
    ['event', '{event_name}'],
    ['conversion_id', '{lead_id}'],
  ],
  params: { click_id: ['subid'], offer_id: ['campaign_id'], event: ['event_name'], conversion_id: ['lead_id'] },
  exclude: NETWORK_OWN_NAMES,
  notes: [
    "Put the tracker's click id on the CPAlead link as subid=… ({subid} comes back).",
    'Event names may contain spaces (Reach Level 10); they are kept as sent.',
  ],
  sources: [
    {
      url: 'https://cpalead.com/en/postback/documentation',
      covers: '{subid}, {payout}, {campaign_id}, {event_name}, {lead_id}',
      grade: 'official',
    },
  ],
};

/** The defaults: for a store or tracker that echoes the id it was given, or any network not listed. */
const generic: NetworkPreset = {
  id: 'generic',
  name: 'Generic (the default names)',
  macro_syntax: "your network's own",
  case_sensitive: false,
  postback: [
    ['click_id', '{click_id}'],
    ['payout', '{payout}'],
    ['amount', '{amount}'],
    ['currency', '{currency}'],
    ['offer_id', '{offer_id}'],
    ['event', '{event}'],
    ['order_id', '{order_id}'],
    ['conversion_id', '{conversion_id}'],
    ['status', '{status}'],
  ],
  params: {},
  exclude: [],
  notes: [
    "Replace each {…} with your network's macro for that value, and drop the parameters it has no macro for.",
    "click_id must carry the tracker's click id: in a network postback that is usually a sub id you put on the tracking link, not the network's transaction_id.",
    'Default names read: click_id, clickid, subid, cid, transaction_id, tid (click id); payout, sum, revenue; amount, sale_amount; event, goal; conversion_id, txid; order_id, orderid.',
  ],
  sources: [],
};

export const NETWORK_PRESETS: readonly NetworkPreset[] = [
  everflow,
  tune,
  cake,
  affise,
  impact,
  scaleo,
  trackier,
  cpalead,
  generic,
];

const BY_ID = new Map(NETWORK_PRESETS.map((preset) => [preset.id, preset]));

export const GENERIC_NETWORK = generic;

export function findNetwork(id: string): NetworkPreset | undefined {
  return BY_ID.get(id);
}

export const NETWORK_IDS: readonly string[] = NETWORK_PRESETS.map((preset) => preset.id);
