import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { withTurnWritesCoalesced } from '../../../src/redis/turn-writes.js';

/** A socket stand-in that counts the writes that would be system calls. */
function countingSocket() {
  const calls: number[] = [];
  const socket = new Writable({
    decodeStrings: false,
    write(_chunk, _encoding, done) {
      calls.push(1);
      done();
    },
    writev(chunks, done) {
      calls.push(chunks.length);
      done();
    },
  });
  return { socket, calls };
}

describe('withTurnWritesCoalesced', () => {
  it('sends what a flush writes to a connection in one write, once the flush is done', () => {
    const { socket, calls } = countingSocket();
    withTurnWritesCoalesced(() => {
      socket.write('*1\r\n$4\r\nPING\r\n');
      socket.write('*2\r\n$3\r\nGET\r\n$1\r\nk\r\n');
      socket.write('*1\r\n$4\r\nTIME\r\n');
      expect(calls).toEqual([]);
    }, [socket]);
    expect(calls).toEqual([3]);
    // Outside a flush, each write goes at once.
    socket.write('*1\r\n$4\r\nPING\r\n');
    expect(calls).toEqual([3, 1]);
  });

  it('uncorks when the flush throws', () => {
    const { socket, calls } = countingSocket();
    expect(() =>
      withTurnWritesCoalesced(() => {
        socket.write('a');
        throw new Error('a batch threw');
      }, [socket]),
    ).toThrow('a batch threw');
    expect(calls).toEqual([1]);
    expect(socket.writableCorked).toBe(0);
  });
});
