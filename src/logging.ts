import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

/**
 * The one time format of every log line the relay writes (its own, Fastify's
 * and the audit log's): ISO 8601 in UTC, `"time":"2026-12-03T23:26:23.512Z"`,
 * which a person can read and every log store parses.
 */
export const logTime = pino.stdTimeFunctions.isoTime;

/** The application log: JSON lines on stdout (or `destination`), at `level`. */
export function createLogger(level: LoggerOptions['level'], destination?: DestinationStream): Logger {
  const options: LoggerOptions = { level, name: 'postback-relay', timestamp: logTime };
  return destination ? pino(options, destination) : pino(options);
}
