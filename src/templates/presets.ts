/**
 * Tracker presets: the postback template for a tracker, written with that
 * tracker's documented parameter names and our macros. Pure: no I/O.
 *
 * Base URL rule. `baseUrl` is the tracker's origin (`https://trk.example.com`),
 * optionally followed by a path prefix: the folder a self-hosted tracker is
 * installed in (Binom) or the per-install postback key (Keitaro:
 * `https://trk.example.com/a1b2c3d`). The preset's endpoint path (`/postback`,
 * `/click.php`, `/cf/cv`, `/tracking202/static/gpb.php`) is appended, unless the base already ends with it, so
 * the full postback base copied from the tracker (`https://trk.example.com/a1b2c3d/postback`)
 * works as well. Trailing slashes are ignored. The base must be an absolute
 * http(s) URL without credentials, query string or fragment: the preset writes
 * the query itself.
 *
 * Only parameters a tracker accepts without further setup on its side are
 * included. Optional ones that need tracker-side configuration (Voluum `et`,
 * RedTrack `type`, BeMob `status`, ClickFlare `ct`) are left out; the rendered
 * template is stored as plain text and can be edited to add them.
 */

export const PRESET_NAMES = ['voluum', 'redtrack', 'bemob', 'binom', 'keitaro', 'clickflare', 'prosper202'] as const;

export type PresetName = (typeof PRESET_NAMES)[number];

export class PresetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PresetError';
  }
}

interface PresetSpec {
  /** Path of the tracker's postback endpoint, appended to the base. */
  readonly endpoint: string;
  /** Query string, with our macros in the tracker's parameters. */
  readonly query: string;
  /** When set, the base must carry a path prefix (the install's postback key); the text says why. */
  readonly requiresPrefix?: string;
}

const PRESETS: ReadonlyMap<PresetName, PresetSpec> = new Map<PresetName, PresetSpec>([
  // Voluum: https://doc.voluum.com/en/tracking_conversions_postback.html and
  // https://doc.voluum.com/en/submitting_postback_url.html — `<tracking domain>/postback?cid=REPLACE&payout=OPTIONAL&txid=OPTIONAL`;
  // cid (click id) is the only required key, txid is the unique transaction id.
  ['voluum', { endpoint: '/postback', query: 'cid={click_id}&payout={payout}&txid={conversion_id}' }],
  // RedTrack: https://redtrack.zendesk.com/hc/en-us/articles/207082019 (postback template
  // `<tracking domain>/postback?clickid={replace_me}&sum={replace_or_remove}`) and
  // https://help.redtrack.io/knowledgebase/kb/conversion-tracking/tracking-event-types/
  // (`rdtk_event_id` is the id RedTrack dedupes on in "ignore duplicate postbacks by event id" mode;
  // `type` exists too but must match a conversion type configured in RedTrack, case-sensitive).
  ['redtrack', { endpoint: '/postback', query: 'clickid={click_id}&sum={payout}&rdtk_event_id={conversion_id}' }],
  // BeMob: https://docs.bemob.com/en/postback-settings-of-affiliate-network and
  // https://docs.bemob.com/en/monetizer-settings — `<domain>/postback?cid=REPLACE&payout=OPTIONAL&txid=OPTIONAL&status=OPTIONAL`
  // (status only counts with "Use conversion statuses" configured per network, so it is left out).
  ['bemob', { endpoint: '/postback', query: 'cid={click_id}&payout={payout}&txid={conversion_id}' }],
  // Binom: https://docs.binom.org/postback-url.php — `<tracker path>/click.php?cnv_id={clickid}&payout={payout}&cnv_status={status}`;
  // "click.php … It's always the same. If you have a subfolder for your tracker specify that as well."
  ['binom', { endpoint: '/click.php', query: 'cnv_id={click_id}&payout={payout}&cnv_status={status}' }],
  // Keitaro: https://docs.keitaro.io/en/conversions/postback.html — `https://example.com/<key>/postback`
  // with subid (required), status, payout (or revenue), tid (transaction id; needed for rebills).
  [
    'keitaro',
    {
      endpoint: '/postback',
      query: 'subid={click_id}&status={status}&payout={payout}&tid={conversion_id}',
      requiresPrefix:
        'keitaro base_url must include the postback key from Maintenance → Postback URL, e.g. https://trk.example.com/a1b2c3d',
    },
  ],
  // ClickFlare: https://help.clickflare.io/en/tracking/how-to-submit-an-s2s-postback-url-to-an-affiliate-network-in-clickflare
  // — `<domain>/cf/cv?click_id=REPLACE&payout=OPTIONAL&txid=OPTIONAL`.
  ['clickflare', { endpoint: '/cf/cv', query: 'click_id={click_id}&payout={payout}&txid={conversion_id}' }],
  // Prosper202 (open source, self-hosted): https://github.com/tracking202/prosper202/blob/master/tracking202/static/gpb.php
  // — the global postback `<install>/tracking202/static/gpb.php?subid=…&amount=…`: `subid` (alias `sid`) is Prosper's
  // click id and must be numeric (else 404 "SubID not found"), `amount` is the payout. `txid` is the transaction id
  // newer versions record conversions idempotently by (202-config/static-endpoint-helpers.php, p202ExtractTransactionId);
  // older ones ignore it. Numeric click ids pass through our macros unchanged.
  ['prosper202', { endpoint: '/tracking202/static/gpb.php', query: 'subid={click_id}&amount={payout}&txid={conversion_id}' }],
]);

export function isPresetName(name: unknown): name is PresetName {
  return typeof name === 'string' && PRESETS.has(name as PresetName);
}

function quote(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

/** Parses and checks a base URL; throws PresetError naming it. */
function parseBase(baseUrl: unknown): URL {
  const invalid = (why: string): PresetError => new PresetError(`base_url ${quote(baseUrl)} ${why}`);
  if (typeof baseUrl !== 'string' || baseUrl.trim() === '') {
    throw new PresetError("base_url is required: the tracker's address, e.g. https://trk.example.com");
  }
  const text = baseUrl.trim();
  if (!/^https?:\/\/[^/?#]/i.test(text)) throw invalid('must be an absolute http or https URL');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid('must be an absolute http or https URL');
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    throw invalid('must be an absolute http or https URL');
  }
  if (url.username !== '' || url.password !== '') throw invalid('must not contain credentials');
  if (url.search !== '' || url.hash !== '' || /[?#]/.test(text)) {
    throw invalid("must not contain a query string or fragment: give the tracker's address, the preset adds the parameters");
  }
  return url;
}

/**
 * The postback template for `preset` at `baseUrl` (see the base URL rule
 * above). Throws PresetError naming the unknown preset or the bad base.
 */
export function presetTemplate(preset: string, baseUrl: string): string {
  const spec = isPresetName(preset) ? PRESETS.get(preset) : undefined;
  if (spec === undefined) {
    throw new PresetError(`unknown preset ${quote(preset)}; known: ${PRESET_NAMES.join(', ')}`);
  }
  const url = parseBase(baseUrl);
  const path = url.pathname.replace(/\/+$/, '');
  const prefix = path.endsWith(spec.endpoint) ? path.slice(0, -spec.endpoint.length) : path;
  if (spec.requiresPrefix !== undefined && prefix.replace(/\//g, '') === '') throw new PresetError(spec.requiresPrefix);
  // url.origin is lower-cased and punycoded; the path is already percent-encoded by
  // the URL parser, so braces in it cannot turn into macros.
  return `${url.origin}${prefix}${spec.endpoint}?${spec.query}`;
}
