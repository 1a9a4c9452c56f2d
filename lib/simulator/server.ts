/**
 * The client port: accepts connections and serves one command on each. At most
 * `maxConnections` are open at once; one more is closed at once with a log line (an idle
 * one frees its slot after the first-packet deadline, see connection.ts).
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Connection, remoteOf } from './connection';
import type { Terminal } from './terminal';

/**
 * A TCP server of the simulator: every accepted socket and its handler are tracked, so that
 * close() stops accepting, destroys every open socket and waits for the handlers to unwind.
 */
export abstract class TrackedServer<S extends { destroy(): void }> {
  protected readonly server: Server;
  protected readonly open = new Set<S>();
  private readonly running = new Set<Promise<void>>();

  constructor(protected readonly t: Terminal, name: string) {
    this.server = createServer((socket) => this.accept(socket));
    this.server.on('error', (error) => t.config.logger(`${name} error: ${error.message}`));
  }

  protected abstract accept(socket: Socket): void;

  /** Holds `item` until `socket` closes and close() waits for `served`. */
  protected track(item: S, socket: { once(event: 'close', listener: () => void): unknown }, served: Promise<void>): void {
    this.open.add(item);
    socket.once('close', () => this.open.delete(item));
    const done = served.finally(() => this.running.delete(done));
    this.running.add(done);
  }

  listen(port: number, host: string): Promise<number> {
    return listen(this.server, port, host);
  }

  async close(): Promise<void> {
    const closed = closeServer(this.server);
    for (const item of this.open) item.destroy();
    await Promise.allSettled([...this.running]);
    await closed;
  }
}

export class TerminalServer extends TrackedServer<Connection> {
  constructor(t: Terminal) {
    super(t, 'server');
  }

  /** Connections still holding a slot: one the simulator has destroyed is free at once, before its 'close' event. */
  private openConnections(): number {
    for (const connection of this.open) if (connection.destroyed) this.open.delete(connection);
    return this.open.size;
  }

  protected accept(socket: Socket): void {
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
    this.track(connection, socket, connection.serve());
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
