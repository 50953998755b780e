// The console's one way to the relay: the admin API, with the session cookie
// (sent by the browser) and, on a change, the session's CSRF token.

let session;
const listeners = new Set();

export const currentSession = () => session;
/** Only the admin may change anything; a viewer's controls are disabled (and the server refuses anyway). */
export const canChange = () => session?.kind === 'admin';
export const onSignedOut = (fn) => listeners.add(fn);

export class ApiError extends Error {
  constructor(status, body) {
    const details = Array.isArray(body?.details) ? body.details.map((d) => `${d.path}: ${d.message}`).join('; ') : undefined;
    super(details || body?.message || body?.error || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function parse(response) {
  const text = await response.text();
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return text;
  }
}

export async function loadSession() {
  const response = await fetch('/console/session', { headers: { accept: 'application/json' } });
  session = response.ok ? await response.json() : undefined;
  return session;
}

export async function signIn(token) {
  const response = await fetch('/console/session', {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }),
  });
  const body = await parse(response);
  if (!response.ok) {
    if (response.status === 429)
      throw new ApiError(429, {
        message: `Too many sign-in attempts: try again in ${response.headers.get('retry-after') ?? 'a few'} seconds.`,
      });
    if (response.status === 401) throw new ApiError(401, { message: 'That token is neither the admin nor the viewer token.' });
    throw new ApiError(response.status, body);
  }
  session = body;
  return session;
}

export async function signOut() {
  await fetch('/console/session', { method: 'DELETE', headers: { 'x-csrf-token': session?.csrf ?? '' } });
  session = undefined;
  for (const fn of listeners) fn();
}

/** `api('GET', '/v1/hosts')`, `api('POST', '/v1/hosts/x/pause')`: the answer's JSON, or throws ApiError. */
export async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  if (method !== 'GET') headers['x-csrf-token'] = session?.csrf ?? '';
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const answer = await parse(response);
  if (response.status === 401) {
    session = undefined;
    for (const fn of listeners) fn();
  }
  if (!response.ok) throw new ApiError(response.status, answer);
  return answer;
}

/** A query string from an object, leaving out empty values. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params))
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}
