/**
 * jpay-sim: a JPAY terminal simulator. `startSimulator(options)` listens on the client
 * port, the activator port and (optionally) the control HTTP API, and returns a handle
 * for tests and demos. See docs/simulator.md.
 */
import { ActivatorServer } from './activator';
import { Controller, makeMifareCard } from './controller';
import { ControlApi } from './control-api';
import type { SimulatorEvent } from './events';
import { TransactionLog } from './log';
import { resolveConfig, type Scenario, type SimulatorOptions } from './options';
import { loadScenarioFile, validateScenario } from './scenario';
import { TerminalServer } from './server';
import { Terminal } from './terminal';

export interface SimulatorHandle extends Controller {
  readonly host: string;
  /** Client port (the real one when 0 was asked). */
  readonly port: number;
  readonly activatorPort: number;
  readonly controlPort?: number;
  readonly controlUrl?: string;
  /** RSA public keys (hex SPKI) the last runreset sent, by certificate request. */
  readonly activatorKeys: ReadonlyMap<string, string>;
  on(event: 'event', listener: (e: SimulatorEvent) => void): this;
  off(event: 'event', listener: (e: SimulatorEvent) => void): this;
  /** Resolves with the first event (from now on) that matches; rejects after timeoutMs. */
  waitForEvent(match: (e: SimulatorEvent) => boolean, timeoutMs?: number): Promise<SimulatorEvent>;
  /** Stops every server, connection and timer; waits for pending log writes. */
  close(): Promise<void>;
}

function scenarioOf(options: SimulatorOptions): Scenario {
  if (options.scenario === undefined) return {};
  return typeof options.scenario === 'string' ? loadScenarioFile(options.scenario) : validateScenario(options.scenario);
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<SimulatorHandle> {
  const { scenario: _scenario, clock: _clock, logger: _logger, ...plain } = options;
  // The options' own scenario fields are validated like a scenario file.
  const own: Scenario = { ...plain } as Scenario;
  for (const key of ['host', 'port', 'activatorPort', 'controlPort', 'controlHost', 'logFile', 'maxFrameSize', 'maxResponseFrameSize', 'maxConnections', 'rsaModulusLength']) {
    delete (own as Record<string, unknown>)[key];
  }
  validateScenario(JSON.parse(JSON.stringify(own)) as unknown, 'options');
  const config = resolveConfig(options, scenarioOf(options));
  const log = await TransactionLog.open(config.logFile, config.terminal.password);
  const terminal = new Terminal(config, log);
  if (config.mifare.card) terminal.mifare = await makeMifareCard(config.mifare.card);
  const controller = new Controller(terminal);
  const server = new TerminalServer(terminal);
  const activator = new ActivatorServer(terminal);
  let port = 0;
  let activatorPort = 0;
  let controlPort: number | undefined;
  const api = config.controlPort === undefined ? undefined : new ControlApi(controller, () => ({ port, activatorPort }), config.controlHost);
  // Closing one that does not listen (yet) is a no-op.
  const closeAll = async (): Promise<void> => {
    for (const listener of [api, activator, server]) await listener?.close().catch(() => undefined);
    await log.close().catch(() => undefined);
  };
  try {
    port = await server.listen(config.port, config.host);
    activatorPort = await activator.listen(config.activatorPort, config.host);
    if (api && config.controlPort !== undefined) controlPort = await api.listen(config.controlPort, config.controlHost);
  } catch (error) {
    await closeAll();
    throw error;
  }
  terminal.emitEvent({ type: 'listening', port, activatorPort, ...(controlPort !== undefined ? { controlPort } : {}) });
  const controlHost = config.controlHost.includes(':') ? `[${config.controlHost}]` : config.controlHost;
  let closing: Promise<void> | undefined;
  const handle = Object.assign(Object.create(controller) as Controller, {
    host: config.host,
    port,
    activatorPort,
    controlPort,
    controlUrl: controlPort === undefined ? undefined : `http://${controlHost}:${controlPort}`,
    activatorKeys: activator.lastKeys,
    on(event: 'event', listener: (e: SimulatorEvent) => void) {
      terminal.on(event, listener);
      return handle;
    },
    off(event: 'event', listener: (e: SimulatorEvent) => void) {
      terminal.off(event, listener);
      return handle;
    },
    waitForEvent(match: (e: SimulatorEvent) => boolean, timeoutMs = 5000): Promise<SimulatorEvent> {
      return new Promise<SimulatorEvent>((resolve, reject) => {
        const listener = (e: SimulatorEvent): void => {
          if (!match(e)) return;
          clearTimeout(timer);
          terminal.off('event', listener);
          resolve(e);
        };
        const timer = setTimeout(() => {
          terminal.off('event', listener);
          reject(new Error(`no matching simulator event within ${timeoutMs} ms`));
        }, timeoutMs);
        terminal.on('event', listener);
      });
    },
    close(): Promise<void> {
      closing ??= closeAll();
      return closing;
    },
  }) as SimulatorHandle;
  return handle;
}

export { DEFAULT_ACTIVATOR_PORT, DEFAULT_PASSWORD, DEFAULT_PORT, DEFAULT_MAX_RESPONSE_FRAME_SIZE } from './options';
export type { Scenario, SimulatorOptions, FaultSpec, SbpOutcome, MifareCardConfig } from './options';
export type { OutcomeSpec, DeclineReason, FaultKind, Cvm } from './outcome';
export { DECLINE_REASONS, FAULT_KINDS } from './outcome';
export { TEST_CARDS, type TestCard } from './cards';
export { MAGIC_AMOUNTS, MAGIC_BASE, magicOutcome } from './magic';
export type { LogRecord } from './log';
export type { SimulatorEvent } from './events';
export { SCENARIO_SCHEMA } from './scenario-schema';
export { loadScenarioFile, validateScenario } from './scenario';
