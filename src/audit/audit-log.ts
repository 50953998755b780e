import pino, { type DestinationStream, type Logger } from 'pino';
import { logTime } from '../logging.js';

/**
 * Lines are written in blocks of about this many characters, and at least
 * this often: a write per attempt cost 4 % of a worker's CPU under load.
 * The blocks are gathered here rather than by sonic-boom's `minLength`,
 * which measures its whole pending buffer again on every line (with 64 KB
 * pending, 2.5 % of the relay's CPU in a profile). The attempts themselves
 * are in Redis before this log sees them.
 */
const BLOCK_CHARS = 64 * 1024;
const FLUSH_EVERY_MS = 1_000;

/**
 * A pino logger of its own for the audit trail, one JSON line per attempt,
 * so it can be shipped to a log store apart from the application log.
 */
export function createAuditLog(destination: string | DestinationStream): Logger {
  const options = { base: { log: 'audit' }, timestamp: logTime, messageKey: 'event' };
  if (typeof destination !== 'string') return pino(options, destination);
  if (destination === 'off') return pino({ ...options, enabled: false });
  const dest = destination === 'stdout' ? 1 : destination === 'stderr' ? 2 : destination;
  // Synchronous writes of whole blocks: one short write per block, and what is pending at exit
  // is written before the process ends (an asynchronous write in flight then would be lost).
  const file = pino.destination({ dest, mkdir: typeof dest === 'string', sync: true });
  const blocks = new BlockWriter(file);
  setInterval(() => blocks.flush(), FLUSH_EVERY_MS).unref();
  process.once('exit', () => blocks.flush());
  return pino(options, blocks);
}

/** Gathers pino's lines and hands them to the file a block at a time. */
class BlockWriter implements DestinationStream {
  private pending: string[] = [];
  private size = 0;

  constructor(private readonly file: DestinationStream) {}

  write(line: string): void {
    this.pending.push(line);
    this.size += line.length;
    if (this.size >= BLOCK_CHARS) this.flush();
  }

  flush(): void {
    if (this.size === 0) return;
    const block = this.pending.join('');
    this.pending = [];
    this.size = 0;
    this.file.write(block);
  }
}
