import type { FastifyInstance } from 'fastify';
import type { Queue } from 'bullmq';
import type { HostGate, HostStatus } from '../delivery/host-gate.js';
import { wakeDeliveries, type RetryJob } from '../queue/queues.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { getHostRoute, listHostsRoute, pauseHostRoute, resetHostRoute, resumeHostRoute } from './hosts-schemas.js';

/** `host` or `host:port` as URLs carry them; a host may be paused before its first delivery. */
const HOST_PATTERN = /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

function checkHost(host: string): string {
  if (!HOST_PATTERN.test(host))
    throw new ValidationError('invalid_host', [{ path: 'host', message: 'expected host or host:port' }]);
  return host.toLowerCase();
}

function present(status: HostStatus) {
  return {
    host: status.host,
    circuit: status.state,
    paused: status.paused,
    in_flight: status.inFlight,
    parked: status.parked,
    consecutive_failures: status.consecutiveFailures,
    ...(status.lastError ? { last_error: status.lastError } : {}),
    ...(status.lastErrorAt ? { last_error_at: new Date(status.lastErrorAt).toISOString() } : {}),
    ...(status.probeAt ? { probe_at: new Date(status.probeAt).toISOString() } : {}),
  };
}

/**
 * Tracker hosts as operators see them: what is in flight, what waits and
 * why (circuit, pause), and the last error. Pausing parks new attempts to a
 * host without failing them; resuming wakes them; a reset closes an open
 * circuit at once (the tracker is known to be back) instead of after its cooldown.
 */
export function registerHostRoutes(
  app: FastifyInstance,
  deps: { gate: HostGate; retries: Queue<RetryJob>; hostConcurrency: number },
): void {
  app.get('/v1/hosts', listHostsRoute, async () => {
    const hosts = await deps.gate.listHosts();
    return { hosts: (await Promise.all(hosts.map((host) => deps.gate.status(host)))).map(present) };
  });

  const known = async (host: string): Promise<void> => {
    if (!(await deps.gate.listHosts()).includes(host)) throw new NotFoundError(`host ${host}`);
  };

  app.get<{ Params: { host: string } }>('/v1/hosts/:host', getHostRoute, async (request) => {
    await known(request.params.host);
    return present(await deps.gate.status(request.params.host));
  });

  app.post<{ Params: { host: string } }>('/v1/hosts/:host/pause', pauseHostRoute, async (request) => {
    const host = checkHost(request.params.host);
    await deps.gate.setPaused(host, true);
    return present(await deps.gate.status(host));
  });

  // Resume closes the circuit too: an operator resuming a host means "send to it again now".
  app.post<{ Params: { host: string } }>('/v1/hosts/:host/resume', resumeHostRoute, async (request) => {
    const host = checkHost(request.params.host);
    await wakeDeliveries(deps.retries, await deps.gate.reset(host, { resume: true }));
    return present(await deps.gate.status(host));
  });

  app.post<{ Params: { host: string } }>('/v1/hosts/:host/reset', resetHostRoute, async (request) => {
    const host = checkHost(request.params.host);
    await known(host);
    await wakeDeliveries(deps.retries, await deps.gate.reset(host));
    return present(await deps.gate.status(host));
  });
}
