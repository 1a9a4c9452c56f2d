/** The client port: accepts connections and serves one command on each. */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Connection } from './connection';
import type { Terminal } from './terminal';

export class TerminalServer {
  private readonly server: Server;
  private readonly connections = new Set<Connection>();
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly t: Terminal) {
    this.server = createServer((socket) => this.accept(socket));
    this.server.maxConnections = t.config.maxConnections;
    this.server.on('error', (error) => t.config.logger(`server error: ${error.message}`));
  }

  private accept(socket: Socket): void {
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

  get connectionCount(): number {
    return this.connections.size;
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
