/**
 * The names of query parameters whose value (or name) holds a percent-escape
 * that does not decode as UTF-8 (`%C3%28`, a lone `%FF`). Such a value is
 * not what the sender meant; forwarding it would ping a tracker with a
 * mangled click id.
 */
export function fieldsWithInvalidEscapes(url: string): string[] {
  const queryStart = url.indexOf('?');
  if (queryStart < 0 || !url.includes('%', queryStart)) return [];
  const bad: string[] = [];
  for (const pair of url.slice(queryStart + 1).split('&')) {
    if (!pair.includes('%')) continue;
    const equals = pair.indexOf('=');
    const rawName = equals < 0 ? pair : pair.slice(0, equals);
    const name = decodeOrNull(rawName);
    if (name === null || decodeOrNull(equals < 0 ? '' : pair.slice(equals + 1)) === null) {
      bad.push(name ?? rawName);
    }
  }
  return bad;
}

function decodeOrNull(text: string): string | null {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}
