import pino, { type DestinationStream } from 'pino';

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

/** The audit trail: one JSON line per event (an attempt, a test postback), apart from the application log. */
export interface AuditLog {
  info(fields: Record<string, unknown>, event: string): void;
}

/**
 * Writes the audit trail to a file, stdout or stderr, or a stream. The
 * lines are pino's shape (`level`, `time`, `log: "audit"`, the fields,
 * `event`) so log shippers read both logs alike, but made with one
 * JSON.stringify: pino's per-key serialiser was 2.6 % of the relay's CPU
 * in a profile of the relay bench, one line per delivery attempt.
 */
export function createAuditLog(destination: string | DestinationStream): AuditLog {
  if (destination === 'off') return { info() {} };
  if (typeof destination !== 'string') return new JsonLines(destination);
  const dest = destination === 'stdout' ? 1 : destination === 'stderr' ? 2 : destination;
  // Synchronous writes of whole blocks: one short write per block, and what is pending at exit
  // is written before the process ends (an asynchronous write in flight then would be lost).
  const file = pino.destination({ dest, mkdir: typeof dest === 'string', sync: true });
  const blocks = new BlockWriter(file);
  setInterval(() => blocks.flush(), FLUSH_EVERY_MS).unref();
  process.once('exit', () => blocks.flush());
  return new JsonLines(blocks);
}

class JsonLines implements AuditLog {
  constructor(private readonly out: Pick<DestinationStream, 'write'>) {}

  info(fields: Record<string, unknown>, event: string): void {
    this.out.write(`${JSON.stringify({ level: 30, time: new Date().toISOString(), log: 'audit', ...fields, event })}\n`);
  }
}

/** Gathers the lines and hands them to the file a block at a time. */
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
