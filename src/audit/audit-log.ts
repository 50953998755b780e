import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * A pino logger of its own for the audit trail, one JSON line per attempt,
 * so it can be shipped to a log store apart from the application log.
 */
export function createAuditLog(destination: string | DestinationStream): Logger {
  const options = { base: { log: 'audit' }, timestamp: pino.stdTimeFunctions.isoTime, messageKey: 'event' };
  if (typeof destination !== 'string') return pino(options, destination);
  if (destination === 'off') return pino({ ...options, enabled: false });
  if (destination === 'stdout') return pino(options, pino.destination({ dest: 1, sync: false }));
  if (destination === 'stderr') return pino(options, pino.destination({ dest: 2, sync: false }));
  return pino(options, pino.destination({ dest: destination, mkdir: true, sync: false }));
}
