/** Query parameter names whose values are credentials, not conversion data. */
const SECRET_PARAM =
  /^(key|api_?key|apikey|token|access_token|auth|secret|password|pass|pwd|sig|signature|hash|security_token|x-api-key)$/i;

/**
 * The URL as it may be shown and logged: secret query values and userinfo
 * replaced by `***`, everything else exactly as sent. Done on the text, not
 * through `URL`: it runs for every attempt, and a URL object re-encodes
 * values the tracker expects to see as sent. A text that is not an absolute
 * URL is returned cut short, since it cannot hold a recognisable secret structure.
 */
export function redactUrl(url: string): string {
  const schemeEnd = url.indexOf('://');
  if (schemeEnd <= 0 || !/^[a-z][a-z0-9+.-]*$/i.test(url.slice(0, schemeEnd))) return url.slice(0, 2048);
  const authorityStart = schemeEnd + 3;
  const hashAt = url.indexOf('#', authorityStart);
  const end = hashAt < 0 ? url.length : hashAt;
  const queryAt = url.indexOf('?', authorityStart);
  const query = queryAt >= 0 && queryAt < end ? queryAt : -1;
  const pathAt = url.indexOf('/', authorityStart);
  const authorityEnd = Math.min(pathAt < 0 ? end : pathAt, query < 0 ? end : query, end);

  const userinfoEnd = url.lastIndexOf('@', authorityEnd - 1);
  const authority =
    userinfoEnd >= authorityStart ? `***${url.slice(userinfoEnd, authorityEnd)}` : url.slice(authorityStart, authorityEnd);
  const head = `${url.slice(0, authorityStart)}${authority}${url.slice(authorityEnd, query < 0 ? end : query)}`;
  if (query < 0) return head + url.slice(end);
  return `${head}?${redactQuery(url.slice(query + 1, end))}${url.slice(end)}`;
}

/**
 * A request target (`/path?query`, as in `request.url`) with secret query
 * values replaced by `***`: a source's `key` never reaches a log line.
 */
export function redactRequestTarget(target: string): string {
  const query = target.indexOf('?');
  return query < 0 ? target : `${target.slice(0, query)}?${redactQuery(target.slice(query + 1))}`;
}

function redactQuery(query: string): string {
  let out = '';
  let start = 0;
  for (;;) {
    const amp = query.indexOf('&', start);
    const pair = amp < 0 ? query.slice(start) : query.slice(start, amp);
    const separator = pair.indexOf('=');
    out +=
      separator >= 0 && SECRET_PARAM.test(decodeURIComponentSafe(pair.slice(0, separator)))
        ? `${pair.slice(0, separator)}=***`
        : pair;
    if (amp < 0) return out;
    out += '&';
    start = amp + 1;
  }
}

function decodeURIComponentSafe(text: string): string {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
