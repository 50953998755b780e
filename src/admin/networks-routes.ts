import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { SourceConfig } from '../domain/source.js';
import type { RecordStore } from '../store/record-store.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { keyMatches } from '../auth/source-key.js';
import { GENERIC_NETWORK, NETWORK_PRESETS, findNetwork, type NetworkPreset } from '../networks/presets.js';
import { inboundPlanFor } from '../networks/mapping.js';
import { publicBase, renderPostbackUrl } from '../networks/postback-url.js';
import { listNetworksRoute, postbackUrlQuerySchema, postbackUrlRoute } from './networks-schemas.js';

export interface NetworkRoutesDeps {
  sources: Pick<RecordStore<SourceConfig>, 'get'>;
  /** PUBLIC_URL: the base of the URLs users paste; unset, the request's own origin. */
  publicUrl?: string;
}

/** A preset as `GET /v1/networks` shows it: what it reads and what it tells the user to paste. */
function describe(preset: NetworkPreset) {
  const plan = inboundPlanFor(preset, undefined);
  return {
    id: preset.id,
    name: preset.name,
    macro_syntax: preset.macro_syntax,
    case_sensitive: preset.case_sensitive,
    ...(preset.click_id_link_param ? { click_id_link_param: preset.click_id_link_param } : {}),
    click_id_macro: preset.postback.find(([field]) => field === 'click_id')?.[1],
    postback_parameters: Object.fromEntries(preset.postback),
    params: plan.params ?? {},
    ignored_params: preset.exclude,
    ...(preset.status_map ? { status_map: preset.status_map } : {}),
    notes: preset.notes,
    sources: preset.sources,
  };
}

export function registerNetworkRoutes(app: FastifyInstance, deps: NetworkRoutesDeps): void {
  app.get('/v1/networks', listNetworksRoute, async () => ({ networks: NETWORK_PRESETS.map(describe) }));

  app.get<{ Params: { id: string }; Querystring: z.infer<typeof postbackUrlQuerySchema> }>(
    '/v1/sources/:id/postback-url',
    postbackUrlRoute,
    async (request) => {
      const query = request.query;
      const source = await deps.sources.get(request.params.id);
      if (!source) throw new NotFoundError(`source ${request.params.id}`);
      if (query.key !== undefined && !keyMatches(query.key, source.key_sha256)) {
        // A wrong key would make a URL that every postback answers 401 to.
        throw new ValidationError('invalid_query', [{ path: 'key', message: "is not this source's key" }]);
      }
      const networkId = query.network ?? source.network ?? GENERIC_NETWORK.id;
      const preset = findNetwork(networkId) ?? GENERIC_NETWORK;
      const rendered = renderPostbackUrl({
        base: publicBase(deps.publicUrl, request),
        sourceId: request.params.id,
        ...(query.key !== undefined ? { key: query.key } : {}),
        preset,
      });
      const notes = [...rendered.notes];
      if (source.network !== preset.id && preset.id !== GENERIC_NETWORK.id) {
        notes.push(
          `This source reads ${source.network ? `the ${source.network} preset` : 'the default names'}: set "network":"${preset.id}" on it (PUT /v1/sources/${request.params.id}) so statuses and the network's own names are read too.`,
        );
      }
      return {
        source: request.params.id,
        network: preset.id,
        url: rendered.url,
        parameters: rendered.parameters,
        ...(preset.click_id_link_param ? { click_id_link_param: preset.click_id_link_param } : {}),
        key_included: query.key !== undefined,
        notes,
      };
    },
  );
}
