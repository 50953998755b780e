import type { ManagedChild } from './children.js';

/**
 * A tiny request/reply protocol over the Node IPC channel between the bench
 * and its children: `{type, id, payload}` out, `{type: 'reply', id, ok, value|error}` back.
 */
interface Request {
  type: string;
  id: number;
  payload?: unknown;
}
interface Reply {
  type: 'reply';
  id: number;
  ok: boolean;
  value?: unknown;
  error?: string;
}
interface Ready {
  type: 'ready';
  info: unknown;
}

export class IpcClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();

  constructor(private readonly child: ManagedChild) {
    child.proc.on('message', (message: Reply) => {
      if (message?.type !== 'reply') return;
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.ok) waiter.resolve(message.value);
      else waiter.reject(new Error(`${child.name}: ${message.error}`));
    });
  }

  call<T>(type: string, payload?: unknown, timeoutMs = 60_000): Promise<T> {
    if (!this.child.proc.connected) return Promise.reject(new Error(`${this.child.name}: not running (asked "${type}")`));
    const id = this.nextId++;
    const reply = new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.child.name}: no answer to "${type}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
    this.child.proc.send({ type, id, payload } satisfies Request);
    return Promise.race([reply, this.child.died]);
  }
}

/** Resolves with what the child announced through `announceReady`, failing if it dies or takes too long. */
export function waitForReady<T>(child: ManagedChild, timeoutMs = 30_000): Promise<T> {
  const ready = new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${child.name} not ready within ${timeoutMs} ms\n${child.output()}`)),
      timeoutMs,
    );
    const onMessage = (message: Ready): void => {
      if (message?.type !== 'ready') return;
      clearTimeout(timer);
      child.proc.off('message', onMessage);
      resolve(message.info as T);
    };
    child.proc.on('message', onMessage);
  });
  return Promise.race([ready, child.died]);
}

// ---- child side ----

function send(message: Reply | Ready): void {
  if (!process.send) throw new Error('not started with an IPC channel (run it through bench/run.ts)');
  process.send(message);
}

/**
 * Answers the bench's requests. A child also exits when the channel closes,
 * so a bench that was killed outright does not leave it running.
 */
export function serveIpc(handlers: Record<string, (payload: any) => unknown>): void {
  process.on('message', (message: Request) => {
    const handler = handlers[message?.type];
    if (!handler) {
      send({ type: 'reply', id: message?.id, ok: false, error: `unknown request ${String(message?.type)}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(message.payload))
      .then(
        (value) => send({ type: 'reply', id: message.id, ok: true, value }),
        (error: unknown) =>
          send({ type: 'reply', id: message.id, ok: false, error: error instanceof Error ? error.message : String(error) }),
      );
  });
  process.once('disconnect', () => process.exit(0));
}

export function announceReady(info: unknown): void {
  send({ type: 'ready', info });
}
