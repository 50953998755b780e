import type { DeliveryState } from '../domain/conversion.js';

/**
 * Every Redis key the relay owns, laid out for Redis Cluster as well as a
 * single server. Two relays with different prefixes share one Redis without
 * seeing each other.
 *
 * Hash tags (`{…}`) decide which keys share a cluster slot, and so may be
 * written in one transaction or script:
 * - `{prefix}`: the control slot: BullMQ's queues, operator records (sources,
 *   accounts, offers) with their id sets, and the listing indexes.
 * - `{conversion id}`: a conversion's record (its deliveries and their
 *   attempts are fields of it); conversions spread over the cluster.
 * - `{host}`: a tracker host's leases, circuit, parked set and block owners (one script).
 * Single-key records (clicks, status links, test results) need no tag.
 */
export function createKeys(prefix: string) {
  const control = `{${prefix}}`;
  return {
    /** BullMQ prefix: every key of both queues in the control slot (BullMQ's scripts span a queue's keys). */
    queuePrefix: `${control}:q`,
    source: (id: string) => `${control}:source:${id}`,
    sourceIds: `${control}:sources`,
    account: (id: string) => `${control}:account:${id}`,
    accountIds: `${control}:accounts`,
    offer: (id: string) => `${control}:offer:${id}`,
    offerIds: `${control}:offers`,
    conversion: (id: string) => `${prefix}:conv:{${id}}`,
    /** Deliveries by state, newest change first (score: unix ms of the change). */
    deliveriesByState: (state: DeliveryState) => `${control}:ix:dlv:${state}`,
    deliveriesByAccountState: (account: string, state: DeliveryState) => `${control}:ix:dlv:${state}:acct:${account}`,
    conversionsByState: (state: string) => `${control}:ix:conv:${state}`,
    /**
     * Conversion search (score: received_at, trimmed by retention): every
     * recorded conversion, and by source, account and offer. A search walks
     * the smallest of those its filters name and checks each record.
     */
    conversionsByTime: `${control}:ix:cs`,
    conversionsBySource: (source: string) => `${control}:ix:cs:src:${source}`,
    conversionsByAccount: (account: string) => `${control}:ix:cs:acct:${account}`,
    conversionsByOffer: (offerId: string) => `${control}:ix:cs:offer:${offerId}`,
    /** Conversions by click id (score: received_at), for "did this click convert?"; expires with retention. */
    conversionsByClick: (clickId: string) => `${prefix}:ix:click:${clickId}`,
    /**
     * Deliveries not yet settled (pending, retrying), scored by when they are
     * next expected to make progress (unix ms): the reconciler reads only the
     * overdue end. Never trimmed and never expired: an entry leaves when its
     * delivery settles or its record is gone.
     */
    unsettledDeliveries: `${control}:ix:unsettled`,
    /** Held by the one reconciler sweeping right now. */
    reconcilerLease: `${control}:reconciler:lease`,
    /** The first conversion id of a dedupe identity, for the dedupe window; beside the queue so one transaction writes both. */
    dedupe: (digest: string) => `${control}:dd:${digest}`,
    /** A tracking-link click by its transaction id; expires with the attribution window. */
    click: (transactionId: string) => `${prefix}:click:${transactionId}`,
    /** The latest conversion id of one conversion identity (status changes link through it); see status-links.ts. */
    conversionLatest: (identity: string) => `${prefix}:latest:${identity}`,
    /** The last test postbacks of an account, newest first. */
    accountTests: (accountId: string) => `${prefix}:tests:${accountId}`,
    /** The admin change history (a stream), for `GET /v1/changes`. */
    changes: `${control}:changes`,
    /** Refused postbacks of one configured source (a stream); see rejections.ts. */
    rejectionsOf: (source: string) => `${control}:rej:src:${source}`,
    /** Refused postbacks naming no configured source, all in one stream. */
    rejectionsUnknown: `${control}:rej:unknown`,
    rejectionSources: `${control}:rej:sources`,
    /** Known tracker hosts, for the hosts API and metrics. */
    hosts: `${control}:hosts`,
    hostLeases: (host: string) => `${prefix}:host:{${host}}:leases`,
    hostCircuit: (host: string) => `${prefix}:host:{${host}}:circuit`,
    hostParked: (host: string) => `${prefix}:host:{${host}}:parked`,
    /** The worker processes holding or asking for lease blocks of the host (score: expiry). */
    hostBlockOwners: (host: string) => `${prefix}:host:{${host}}:owners`,
    /** The host's next free send time under its rate limit (GCRA), when it has one. */
    hostRate: (host: string) => `${prefix}:host:{${host}}:rate`,
    /** A console session, by the digest of its id; expires with the session. */
    consoleSession: (digest: string) => `${prefix}:console:session:${digest}`,
    /** Console sign-in attempts from one client address in the current window. */
    consoleSignIns: (ip: string) => `${prefix}:console:signin:${ip}`,
  };
}

export type RelayKeys = ReturnType<typeof createKeys>;
