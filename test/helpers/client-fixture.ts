/**
 * The client tests' setup: a scripted terminal on a random port and JpayClients on it, all
 * closed after each test. Call it in a describe(), which gets the afterEach:
 *
 *   const fx = scriptedClient({ password: PASSWORD });
 *   const client = await fx.setup([acceptLogin(), reply('getparameters')]);
 *   await fx.terminal.done();
 */
import { JpayClient, type JpayClientOptions } from '../../lib/client';
import { ScriptedTerminal, type Script } from './scripted-terminal';

export interface ScriptedClient {
  /** A terminal running `scripts` (one per connection) and a client on it: the fixture's options, then `options`. */
  setup(scripts: Script[], options?: Partial<JpayClientOptions>): Promise<JpayClient>;
  /** A terminal only (clients come from client()). */
  start(scripts: Script[]): Promise<ScriptedTerminal>;
  /**
   * Another client, with only `options` (not the fixture's): on this test's terminal unless
   * `options.port` says otherwise. Closed after the test.
   */
  client(options?: Partial<JpayClientOptions>): JpayClient;
  /** Closes this test's clients and terminal now, so that the test can set up again. */
  reset(): Promise<void>;
  /** This test's terminal. */
  readonly terminal: ScriptedTerminal;
}

export function scriptedClient(defaults: Partial<JpayClientOptions> = {}): ScriptedClient {
  let terminal: ScriptedTerminal | undefined;
  const clients: JpayClient[] = [];
  const track = (client: JpayClient): JpayClient => {
    clients.push(client);
    return client;
  };
  const fixture: ScriptedClient = {
    async setup(scripts, options = {}) {
      const t = await fixture.start(scripts);
      return track(new JpayClient({ host: '127.0.0.1', port: t.port, ...defaults, ...options }));
    },
    async start(scripts) {
      if (terminal) throw new Error('scriptedClient: one terminal at a time (reset() first)');
      terminal = await ScriptedTerminal.start(scripts);
      return terminal;
    },
    client(options = {}) {
      return track(new JpayClient({ host: '127.0.0.1', port: options.port ?? fixture.terminal.port, ...options }));
    },
    async reset() {
      for (const client of clients.splice(0)) await client.close();
      await terminal?.close();
      terminal = undefined;
    },
    get terminal(): ScriptedTerminal {
      if (!terminal) throw new Error('scriptedClient: no terminal started in this test');
      return terminal;
    },
  };
  afterEach(() => fixture.reset());
  return fixture;
}
