/**
 * The client port: accepts connections and serves one command on each. At most
 * `maxConnections` are open at once; one more is closed at once with a log line (an idle
 * one frees its slot after the first-packet deadline, see connection.ts).
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Connection, remoteOf } from './connection';
import type { Terminal } from './terminal';

export class TerminalServer {
  private readonly server: Server;
  private readonly connections = new Set<Connection>();
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly t: Terminal) {
    this.server = createServer((socket) => this.accept(socket));
    this.server.on('error', (error) => t.config.logger(`server error: ${error.message}`));
  }

  /** Connections still holding a slot: one the simulator has destroyed is free at once, before its 'close' event. */
  private openConnections(): number {
    for (const connection of this.connections) if (connection.destroyed) this.connections.delete(connection);
    return this.connections.size;
  }

  private accept(socket: Socket): void {
    const max = this.t.config.maxConnections;
    const open = this.openConnections();
    if (open >= max) {
      const remote = remoteOf(socket);
      socket.on('error', () => undefined);
      socket.destroy();
      const reason = `connection from ${remote} refused: ${open} connections open, the limit is ${max} (maxConnections)`;
      this.t.emitEvent({ type: 'connection-refused', remote, open, max });
      this.t.config.logger(reason);
      return;
    }
    socket.setNoDelay(true);
    const connection = new Connection(this.t, socket);
    this.connections.add(connection);
    socket.once('close', () => this.connections.delete(connection));
    const served = connection.serve().finally(() => this.running.delete(served));
    this.running.add(served);
  }

  listen(port: number, host: string): Promise<number> {
    return listen(this.server, port, host);
  }

  /** Stops accepting, destroys every connection, waits for the handlers to unwind. */
  async close(): Promise<void> {
    const closed = closeServer(this.server);
    for (const connection of this.connections) connection.destroy();
    await Promise.allSettled([...this.running]);
    await closed;
  }
}

export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export function closeServer(server: { close(cb: (err?: Error) => void): unknown; listening: boolean }): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
  });
}
