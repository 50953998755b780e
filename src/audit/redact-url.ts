/** Query parameter names whose values are credentials, not conversion data. */
const SECRET_PARAM = /^(key|api_?key|apikey|token|access_token|auth|secret|password|pass|pwd|sig|signature|hash|security_token|x-api-key)$/i;

/**
 * The URL as it may be shown and logged: secret query values and userinfo
 * replaced by `***`. A URL that does not parse is returned cut short, since it
 * cannot hold a recognisable secret structure.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url.slice(0, 2048);
  }
  if (parsed.username || parsed.password) {
    parsed.username = '***';
    parsed.password = '';
  }
  if (!parsed.search) return parsed.toString();
  // Rebuild by hand: URLSearchParams would re-encode values the tracker
  // expects to see exactly as sent.
  const query = parsed.search
    .slice(1)
    .split('&')
    .map((pair) => {
      const separator = pair.indexOf('=');
      if (separator < 0) return pair;
      const name = decodeURIComponentSafe(pair.slice(0, separator));
      return SECRET_PARAM.test(name) ? `${pair.slice(0, separator)}=***` : pair;
    })
    .join('&');
  parsed.search = '';
  const base = parsed.toString();
  const hashIndex = base.indexOf('#');
  return hashIndex < 0 ? `${base}?${query}` : `${base.slice(0, hashIndex)}?${query}${base.slice(hashIndex)}`;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
