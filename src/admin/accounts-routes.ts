import type { FastifyInstance } from 'fastify';
import type { AccountConfig } from '../domain/account.js';
import type { RecordStore } from '../store/record-store.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { accountInputSchema, idSchema } from './schemas.js';
import { parseInput } from './parse-input.js';
import { checkAccountTemplates } from './account-check.js';

export function registerAccountRoutes(app: FastifyInstance, deps: { accounts: RecordStore<AccountConfig> }): void {
  app.put<{ Params: { id: string } }>('/v1/accounts/:id', async (request, reply) => {
    const id = parseInput(idSchema, request.params.id, 'invalid_account');
    const account = parseInput(accountInputSchema, request.body, 'invalid_account') as AccountConfig;
    const { errors, warnings } = checkAccountTemplates(account);
    if (errors.length > 0) throw new ValidationError('invalid_account', errors);
    const created = await deps.accounts.put(id, account);
    return reply.status(created ? 201 : 200).send({
      id,
      ...account,
      ...(warnings.length > 0 ? { warnings: warnings.map((w) => `${w.path}: ${w.message}`) } : {}),
    });
  });

  app.get<{ Params: { id: string } }>('/v1/accounts/:id', async (request) => {
    const account = await deps.accounts.get(request.params.id);
    if (!account) throw new NotFoundError(`account ${request.params.id}`);
    return { id: request.params.id, ...account };
  });

  app.get('/v1/accounts', async () => ({
    accounts: (await deps.accounts.list()).map(({ id, value }) => ({ id, ...value })),
  }));

  app.delete<{ Params: { id: string } }>('/v1/accounts/:id', async (request, reply) => {
    if (!(await deps.accounts.delete(request.params.id))) throw new NotFoundError(`account ${request.params.id}`);
    return reply.status(204).send();
  });
}
