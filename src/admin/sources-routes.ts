import type { FastifyInstance } from 'fastify';
import type { SourceConfig } from '../domain/source.js';
import type { RecordStore } from '../store/record-store.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { hashKey } from '../auth/source-key.js';
import type { SourceInput } from './schemas.js';
import { deleteSourceRoute, getSourceRoute, listSourcesRoute, putSourceRoute } from './sources-schemas.js';

/** The key is stored only as a digest, so it is never shown back. */
function present(id: string, source: SourceConfig) {
  return {
    id,
    key_set: true,
    ip_allow: source.ip_allow,
    params: source.params,
    ...(source.default_account ? { default_account: source.default_account } : {}),
    ...(source.accounts ? { accounts: source.accounts } : {}),
    require_click: source.require_click === true,
    ...(source.network ? { network: source.network } : {}),
  };
}

export function registerSourceRoutes(app: FastifyInstance, deps: { sources: RecordStore<SourceConfig> }): void {
  app.put<{ Params: { id: string }; Body: SourceInput }>('/v1/sources/:id', putSourceRoute, async (request, reply) => {
    const id = request.params.id;
    const input = request.body;
    const existing = await deps.sources.get(id);
    if (!input.key && !existing) {
      throw new ValidationError('invalid_source', [{ path: 'key', message: 'required for a new source' }]);
    }
    const source: SourceConfig = {
      key_sha256: input.key ? hashKey(input.key) : existing!.key_sha256,
      ip_allow: input.ip_allow,
      params: input.params,
      ...(input.default_account ? { default_account: input.default_account } : {}),
      ...(input.accounts ? { accounts: [...new Set(input.accounts)] } : {}),
      ...(input.require_click ? { require_click: true } : {}),
      ...(input.network ? { network: input.network } : {}),
    };
    const created = await deps.sources.put(id, source);
    const warnings = source.accounts
      ? []
      : [
          {
            path: 'accounts',
            message: 'not set: this source can reach any account (`account=` in its postbacks); list them, or ["*"] to mean any',
          },
        ];
    return reply.status(created ? 201 : 200).send({ ...present(id, source), ...(warnings.length > 0 ? { warnings } : {}) });
  });

  app.get<{ Params: { id: string } }>('/v1/sources/:id', getSourceRoute, async (request) => {
    const source = await deps.sources.get(request.params.id);
    if (!source) throw new NotFoundError(`source ${request.params.id}`);
    return present(request.params.id, source);
  });

  app.get('/v1/sources', listSourcesRoute, async () => ({
    sources: (await deps.sources.list()).map(({ id, value }) => present(id, value)),
  }));

  app.delete<{ Params: { id: string } }>('/v1/sources/:id', deleteSourceRoute, async (request, reply) => {
    if (!(await deps.sources.delete(request.params.id))) throw new NotFoundError(`source ${request.params.id}`);
    return reply.status(204).send();
  });
}
