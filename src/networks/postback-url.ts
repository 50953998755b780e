import type { NetworkPreset } from './presets.js';

/** Stands in for the source key when the caller did not give it (the relay keeps only its digest). */
export const KEY_PLACEHOLDER = 'YOUR_SOURCE_KEY';

export interface PostbackUrlInput {
  /** The relay's public origin (and path prefix, if any), without a trailing slash. */
  base: string;
  sourceId: string;
  /** The source key, when known; else the URL carries KEY_PLACEHOLDER. */
  key?: string;
  preset: NetworkPreset;
}

export interface RenderedPostbackUrl {
  url: string;
  /** Canonical parameter -> the network macro the URL puts in it. */
  parameters: Record<string, string>;
  notes: string[];
}

/**
 * The URL to paste into a network's postback field. Our parts (path, key) are
 * percent-encoded; the network's macros are written literally, since the
 * network looks for them verbatim (`{SubId1}`, `#s2#`) before it fires.
 */
export function renderPostbackUrl({ base, sourceId, key, preset }: PostbackUrlInput): RenderedPostbackUrl {
  const query = [`key=${key === undefined ? KEY_PLACEHOLDER : encodeURIComponent(key)}`];
  const parameters: Record<string, string> = {};
  for (const [field, macro] of preset.postback) {
    query.push(`${field}=${macro}`);
    parameters[field] = macro;
  }
  const notes = [...preset.notes];
  if (key === undefined) {
    notes.unshift(
      `Replace ${KEY_PLACEHOLDER} with this source's key (the relay keeps only its digest; pass ?key=… to this endpoint to have it filled in).`,
    );
  }
  return {
    url: `${base.replace(/\/+$/, '')}/postback/${encodeURIComponent(sourceId)}?${query.join('&')}`,
    parameters,
    notes,
  };
}

/**
 * The relay's public base: PUBLIC_URL when configured, else what the request
 * was addressed to (Fastify takes protocol and host from X-Forwarded-* only
 * when trust proxy is configured).
 */
export function publicBase(publicUrl: string | undefined, request: { protocol: string; host: string }): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, '');
  return `${request.protocol}://${request.host}`;
}
