import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Answers what Node refuses before Fastify sees a request (a client too slow
 * with its headers or body, headers too large, bytes that are not HTTP) in
 * the relay's JSON error shape, and tells `onTimeout` about a timed-out
 * client so it is kept with the other refused postbacks. As Fastify's own
 * handler does otherwise: nothing is written to a socket already gone.
 */
export function createClientErrorHandler(onTimeout: (ip: string) => void) {
  return function handleClientError(error: Error & { code?: string }, socket: Socket): void {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const [status, code] =
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request_timeout']
        : error.code === 'HPE_HEADER_OVERFLOW'
          ? [431, 'headers_too_large']
          : [400, 'bad_request'];
    if (status === 408) onTimeout(socket.remoteAddress ?? '');
    const body = JSON.stringify({ error: code, message: STATUS_CODES[status] });
    if (socket.writable) {
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy(error);
  };
}
