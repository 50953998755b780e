import type { DeliveryState } from '../domain/conversion.js';

/**
 * Every Redis key the relay owns (BullMQ's live under `queuePrefix`). Two
 * relays with different prefixes share one Redis without seeing each other.
 */
export function createKeys(prefix: string) {
  return {
    queuePrefix: `${prefix}:q`,
    source: (id: string) => `${prefix}:source:${id}`,
    sourceIds: `${prefix}:sources`,
    account: (id: string) => `${prefix}:account:${id}`,
    accountIds: `${prefix}:accounts`,
    conversion: (id: string) => `${prefix}:conv:${id}`,
    delivery: (id: string) => `${prefix}:dlv:${id}`,
    attempts: (deliveryId: string) => `${prefix}:att:${deliveryId}`,
    /** Deliveries by state, newest change first (score: unix ms of the change). */
    deliveriesByState: (state: DeliveryState) => `${prefix}:ix:dlv:${state}`,
    deliveriesByAccountState: (account: string, state: DeliveryState) => `${prefix}:ix:dlv:${state}:acct:${account}`,
    conversionsByState: (state: string) => `${prefix}:ix:conv:${state}`,
  };
}

export type RelayKeys = ReturnType<typeof createKeys>;
