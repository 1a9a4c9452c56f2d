/**
 * Opens the TCP connection for one command. Every failure here is a JpayConnectionError:
 * nothing was sent, so the command is safe to run again (a connect timeout carries a
 * JpayTimeoutError('connect') as its cause).
 */
import net from 'node:net';
import { PacketSocket, type PacketSocketOptions } from '../codec/packet-socket';
import { JpayConnectionError, JpayTimeoutError } from '../errors';

export interface ConnectOptions {
  host: string;
  port: number;
  timeoutMs: number;
  maxFrameSize?: number;
  maxQueuedPackets?: number;
  maxQueuedBytes?: number;
  /** Destroys the attempt (client closing, caller aborting). */
  signal?: AbortSignal;
}

/**
 * TCP keep-alive probes start after this much silence on the socket. A terminal may stay
 * silent for minutes (the idle limit), so a terminal that lost power or its cable would be
 * noticed only then; the probes (Node sets 1 s apart, 10 of them) notice a dead peer in
 * about 25 s, while a live but quiet terminal answers them and keeps its connection.
 */
export const TCP_KEEPALIVE_DELAY_MS = 15_000;

export function openConnection(options: ConnectOptions): Promise<PacketSocket> {
  const { host, port, timeoutMs } = options;
  return new Promise<PacketSocket>((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.setNoDelay(true);
    let settled = false;
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('error', onError);
      options.signal?.removeEventListener('abort', onAbort);
      if (error) {
        socket.destroy();
        reject(error);
        return;
      }
      socket.setKeepAlive(true, TCP_KEEPALIVE_DELAY_MS);
      // The PacketSocket reports later errors through receive()/send().
      socket.on('error', () => undefined);
      const limits: PacketSocketOptions = {};
      if (options.maxFrameSize !== undefined) limits.maxFrameSize = options.maxFrameSize;
      if (options.maxQueuedPackets !== undefined) limits.maxQueuedPackets = options.maxQueuedPackets;
      if (options.maxQueuedBytes !== undefined) limits.maxQueuedBytes = options.maxQueuedBytes;
      resolve(new PacketSocket(socket, limits));
    };
    const onConnect = (): void => finish();
    const onError = (error: Error): void =>
      finish(new JpayConnectionError(`cannot connect to ${host}:${port}: ${error.message}`, host, port, { cause: error }));
    const onAbort = (): void => finish(new JpayConnectionError(`connect to ${host}:${port} abandoned`, host, port));
    const timer = setTimeout(() => {
      const cause = new JpayTimeoutError('connect', timeoutMs);
      finish(new JpayConnectionError(`cannot connect to ${host}:${port}: ${cause.message}`, host, port, { cause }));
    }, timeoutMs);
    socket.once('connect', onConnect);
    socket.once('error', onError);
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
