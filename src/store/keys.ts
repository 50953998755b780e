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
    offer: (id: string) => `${prefix}:offer:${id}`,
    offerIds: `${prefix}:offers`,
    /** A tracking-link click by its transaction id; expires with the attribution window. */
    click: (transactionId: string) => `${prefix}:click:${transactionId}`,
    /** The latest conversion id of one conversion identity (status changes link through it); see status-links.ts. */
    conversionLatest: (identity: string) => `${prefix}:latest:${identity}`,
    /** The last test postbacks of an account, newest first. */
    accountTests: (accountId: string) => `${prefix}:tests:${accountId}`,
    /** Known tracker hosts, for the hosts API and metrics. */
    hosts: `${prefix}:hosts`,
    /**
     * Per-host isolation state. The host is a hash tag so the scripts that
     * touch a host's leases, circuit and parked set stay in one cluster slot.
     */
    hostLeases: (host: string) => `${prefix}:host:{${host}}:leases`,
    hostCircuit: (host: string) => `${prefix}:host:{${host}}:circuit`,
    hostParked: (host: string) => `${prefix}:host:{${host}}:parked`,
  };
}

export type RelayKeys = ReturnType<typeof createKeys>;
