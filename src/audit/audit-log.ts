import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Lines are written in blocks of this many bytes, and at least this often:
 * a write per attempt cost 4 % of a worker's CPU under load, and 4 KB blocks
 * still 1 %. pino flushes what is buffered when the process exits; the
 * attempts themselves are in Redis before this log sees them.
 */
const BLOCK_BYTES = 64 * 1024;
const FLUSH_EVERY_MS = 1_000;

/**
 * A pino logger of its own for the audit trail, one JSON line per attempt,
 * so it can be shipped to a log store apart from the application log.
 */
export function createAuditLog(destination: string | DestinationStream): Logger {
  const options = { base: { log: 'audit' }, timestamp: pino.stdTimeFunctions.isoTime, messageKey: 'event' };
  if (typeof destination !== 'string') return pino(options, destination);
  if (destination === 'off') return pino({ ...options, enabled: false });
  const dest = destination === 'stdout' ? 1 : destination === 'stderr' ? 2 : destination;
  const stream = pino.destination({ dest, mkdir: typeof dest === 'string', sync: false, minLength: BLOCK_BYTES, maxWrite: 2 * BLOCK_BYTES });
  // Not before the file is open: sonic-boom refuses to flush until then.
  stream.once('ready', () => setInterval(() => stream.flush(), FLUSH_EVERY_MS).unref());
  return pino(options, stream);
}
