import { once } from 'node:events';
import net from 'node:net';

/** Two ends of one real TCP connection on 127.0.0.1 (random port), plus its server. */
export interface TcpPair {
  readonly server: net.Server;
  /** The connecting side. */
  readonly client: net.Socket;
  /** The accepted side. */
  readonly peer: net.Socket;
  /** Destroy both sockets and close the server; safe to call twice. */
  close(): Promise<void>;
}

export async function tcpPair(): Promise<TcpPair> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  const accepted = once(server, 'connection') as Promise<[net.Socket]>;
  const client = net.connect(port, '127.0.0.1');
  const [[peer]] = await Promise.all([accepted, once(client, 'connect')]);
  // Tests provoke resets on purpose; an 'error' with no listener would crash mocha.
  client.on('error', () => undefined);
  peer.on('error', () => undefined);
  let closing: Promise<void> | undefined;
  return {
    server,
    client,
    peer,
    close() {
      closing ??= (async () => {
        client.destroy();
        peer.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return closing;
    },
  };
}
