import type { FastifyInstance } from 'fastify';
import type { AccountConfig } from '../domain/account.js';
import type { RecordStore } from '../store/record-store.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { accountInputSchema } from './schemas.js';
import { deleteAccountRoute, getAccountRoute, listAccountsRoute, putAccountRoute } from './accounts-schemas.js';
import { parseInput } from './parse-input.js';
import { checkAccountTemplates } from './account-check.js';
import type { AddressPolicy } from '../delivery/address-policy.js';
import { expandAccountPresets } from './account-presets.js';

export interface AccountRoutesDeps {
  accounts: RecordStore<AccountConfig>;
  /** The delivery guard's policy (same DELIVERY_ALLOW_CIDRS), to refuse blocked literal hosts at save time. */
  addressPolicy: AddressPolicy;
}

export function registerAccountRoutes(app: FastifyInstance, deps: AccountRoutesDeps): void {
  app.put<{ Params: { id: string } }>('/v1/accounts/:id', putAccountRoute, async (request, reply) => {
    const id = request.params.id;
    // `{"preset":…,"base_url":…}` in place of a template becomes the rendered template before validation.
    const presets = expandAccountPresets(request.body);
    if (presets.errors.length > 0) throw new ValidationError('invalid_account', presets.errors);
    const account: AccountConfig = parseInput(accountInputSchema, presets.value, 'invalid_account');
    const { errors, warnings } = checkAccountTemplates(account, { addressPolicy: deps.addressPolicy });
    if (errors.length > 0) throw new ValidationError('invalid_account', errors);
    const created = await deps.accounts.put(id, account);
    return reply.status(created ? 201 : 200).send({
      id,
      ...account,
      ...(warnings.length > 0 ? { warnings: warnings.map((w) => `${w.path}: ${w.message}`) } : {}),
    });
  });

  app.get<{ Params: { id: string } }>('/v1/accounts/:id', getAccountRoute, async (request) => {
    const account = await deps.accounts.get(request.params.id);
    if (!account) throw new NotFoundError(`account ${request.params.id}`);
    return { id: request.params.id, ...account };
  });

  app.get('/v1/accounts', listAccountsRoute, async () => ({
    accounts: (await deps.accounts.list()).map(({ id, value }) => ({ id, ...value })),
  }));

  app.delete<{ Params: { id: string } }>('/v1/accounts/:id', deleteAccountRoute, async (request, reply) => {
    if (!(await deps.accounts.delete(request.params.id))) throw new NotFoundError(`account ${request.params.id}`);
    return reply.status(204).send();
  });
}
