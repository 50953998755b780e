import { z } from 'zod';
import { invalid, json, notFound, readErrors, security, writeErrors } from '../http/route-docs.js';

export const hostShape = z
  .object({
    host: z.string(),
    circuit: z
      .enum(['closed', 'open', 'half_open'])
      .describe('closed: deliveries flow; open: failing, waiting for the cooldown; half_open: one probe'),
    paused: z.boolean(),
    in_flight: z
      .number()
      .int()
      .describe("slots of the host's cap held: attempts in flight, and free slots a worker holds in its lease block"),
    parked: z.number().int().describe('deliveries waiting for this host (cap, circuit or pause)'),
    consecutive_failures: z.number().int(),
    last_error: z.string().optional(),
    last_error_at: z.iso.datetime().optional(),
    probe_at: z.iso.datetime().optional().describe('when an open circuit lets one probe through'),
  })
  .meta({
    id: 'Host',
    examples: [{ host: 'trk.example.com', circuit: 'closed', paused: false, in_flight: 2, parked: 0, consecutive_failures: 0 }],
  });

// Checked by the handler (`invalid_host`), which also lower-cases it.
const hostParams = z.object({ host: z.string().describe('`host` or `host:port`, as the delivery URLs carry it') });

export const listHostsRoute = {
  schema: {
    tags: ['hosts'],
    summary: 'Tracker hosts: in-flight and parked deliveries, circuit state, pause, last error',
    description: 'One entry per host the relay has delivered to (or that was paused), `host[:port]` as the URLs carry it.',
    security: security.read,
    response: { 200: json('One entry per tracker host', z.object({ hosts: z.array(hostShape) })), ...readErrors },
  },
};

export const getHostRoute = {
  schema: {
    tags: ['hosts'],
    summary: 'One tracker host',
    description: 'Its circuit, pause, in-flight and parked deliveries and last error; 404 for a host the relay has never seen.',
    security: security.read,
    params: hostParams,
    response: { 200: json('The host', hostShape), ...readErrors, 404: notFound },
  },
};

export const pauseHostRoute = {
  schema: {
    tags: ['hosts'],
    summary: 'Pause deliveries to a host',
    description: 'Deliveries to it wait, parked, and stay redrivable. A host may be paused before its first delivery.',
    security: security.write,
    params: hostParams,
    response: { 200: json('The host, paused', hostShape), 400: invalid, ...writeErrors },
  },
};

export const resumeHostRoute = {
  schema: {
    tags: ['hosts'],
    summary: 'Resume deliveries to a paused host, closing its circuit',
    description:
      'Lifts the pause and closes the circuit if it is open (as a reset does), then wakes as many parked deliveries as the host may take at once; each finished attempt wakes the next.',
    security: security.write,
    params: hostParams,
    response: { 200: json('The host, resumed', hostShape), 400: invalid, ...writeErrors },
  },
};

export const resetHostRoute = {
  schema: {
    tags: ['hosts'],
    summary: "Close a host's circuit now and wake what waits on it",
    description:
      'For a tracker known to be back: the circuit closes (failures counted from zero) without waiting for its cooldown, and as many parked deliveries as the host may take at once go now; each finished attempt wakes the next. A paused host stays paused (its circuit is closed, nothing is woken). 404 for a host the relay has never seen.',
    security: security.write,
    params: hostParams,
    response: { 200: json('The host, circuit closed', hostShape), 400: invalid, ...writeErrors, 404: notFound },
  },
};
