#!/usr/bin/env node
/** jpay-sim: run the JPAY terminal simulator from the command line. See docs/simulator.md. */
import { parseArgs } from 'node:util';
import { definedOnly } from '../objects';
import { JpayError, JpayValidationError } from '../errors';
import { startSimulator, type SimulatorHandle, type SimulatorOptions } from '../simulator';
import { MIFARE_CLOSE_MODES, oneOf } from '../simulator/options';
import type { SimulatorEvent } from '../simulator/events';
import { validateFields } from '../protocol/validation';
import { packageVersion } from './version';

export const HELP = `Usage: jpay-sim [options]

A faithful JPAY payment-terminal simulator: the terminal's TCP protocol on the client
port, the activator port for runreset, and a control HTTP API for tests and demos.

Network
  -p, --port <n>              client port (default 4433; 0 = random, printed)
      --host <addr>           listen address (default 127.0.0.1; 0.0.0.0 = all)
      --activator-port <n>    activator port for runreset (default 4434; 0 = random)
      --control-port <n>      control HTTP API port (default 4435; 0 = random)
      --control-host <addr>   control API address (default 127.0.0.1)
      --no-control            do not start the control API
      --max-connections <n>   simultaneous client connections (default 32); more are
                              refused (closed) with a log line
      --first-packet-timeout <ms>  a connection that sends no command this long after
                              it opens is closed (default 5000)
      --max-response-size <bytes>  largest response frame (default 16777216; a full
                              report of 5,000 transactions is about 1.5 MiB, 2 MiB
                              encrypted)

Terminal
  -s, --scenario <file>       scenario JSON file (cards, outcomes, delays, SBP, dex, faults)
  -l, --log-file <file>       persist the transaction log (and admin password) in this file
      --password <8 digits>   admin password at first start (default 12345678)
      --tid <id>              terminal id
      --mid <id>              merchant id
      --currency <code>       default ISO 4217 numeric currency (default 643)

Behaviour
      --card-delay <ms>       delay before the test card is presented (default 300)
      --keepalive-interval <ms>  keepalive period while waiting (default 1000)
      --host-delay <ms>       bank host answer time, D1 → D4 (default 100)
      --card-timeout <ms>     card detection timeout (default 30000)
      --no-auto-present       never present a card by itself (use the control API)
      --default-card <id|pan> test card presented automatically (default visa)
      --sbp                   enable SBP (QR) payments
      --sbp-cft               add the CFT agent block to SBP receipts
      --sbp-delay <ms>        time until the SBP payment arrives (default 1500)
      --dex                   enable the dex (EMV data exchange) message
      --host-unreachable      start with the bank host unreachable
      --mifare-image <file>   lay a MIFARE Classic card (raw .mfd dump) in the field
      --mifare-close-without-receipt <continue|end>
                              after a card close without a receipt: go on detecting a
                              bank card (continue, default) or end the transaction with
                              status cancelled (end)

Output
  -q, --quiet                 print only the listening line
      --json                  print events as JSON lines
  -h, --help                  show this help
  -v, --version               show the version

Magic amounts 777.00–777.99 select outcomes (777.05 = notauthorized, 777.41 = declined…);
see docs/simulator.md for the table of test cards and magic amounts.
Ctrl-C or SIGTERM closes every connection and exits.`;

/**
 * The parseArgs options, read off HELP so that the help and the parser cannot drift apart:
 * a flag followed by `<…>` takes a value, any other is a switch.
 */
const OPTIONS = Object.fromEntries(
  [...HELP.matchAll(/^ {2}(?:-(\w), | {4})--([a-z-]+)( <)?/gm)].map(([, short, name, value]) => [
    name,
    { type: value ? 'string' : 'boolean', ...(short ? { short } : {}) } as const,
  ]),
);

function integer(value: string | undefined, name: string, min = 0, max = 2_147_483_647): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new JpayValidationError(`--${name}`, `must be an integer from ${min} to ${max}`);
  }
  return Number(value);
}

/** Command-line arguments → simulator options (throws JpayValidationError naming the option). */
export function optionsFromArgs(args: string[]): { options: SimulatorOptions; quiet: boolean; json: boolean; help: boolean; version: boolean } {
  const { values } = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false });
  const str = (name: string): string | undefined => {
    const value = values[name];
    return typeof value === 'string' ? value : undefined;
  };
  const flag = (name: string): boolean => values[name] === true;
  const options: SimulatorOptions = {
    port: integer(str('port'), 'port', 0, 65535) ?? 4433,
    host: str('host'),
    activatorPort: integer(str('activator-port'), 'activator-port', 0, 65535) ?? 4434,
    controlPort: flag('no-control') ? undefined : (integer(str('control-port'), 'control-port', 0, 65535) ?? 4435),
    controlHost: str('control-host'),
    scenario: str('scenario'),
    logFile: str('log-file'),
    maxConnections: integer(str('max-connections'), 'max-connections', 1, 65535),
    maxResponseFrameSize: integer(str('max-response-size'), 'max-response-size', 1024, 0xffffffff),
  };
  const password = str('password');
  if (password !== undefined) validateFields('login', { password }, (field) => `--${field}`);
  const terminal = definedOnly({ password, tid: str('tid'), mid: str('mid'), currency: str('currency') });
  if (Object.keys(terminal).length > 0) options.terminal = terminal;
  const timing: NonNullable<SimulatorOptions['timing']> = {
    cardDelayMs: integer(str('card-delay'), 'card-delay'),
    keepaliveIntervalMs: integer(str('keepalive-interval'), 'keepalive-interval', 1),
    hostDelayMs: integer(str('host-delay'), 'host-delay'),
    cardTimeoutMs: integer(str('card-timeout'), 'card-timeout', 1),
    firstPacketTimeoutMs: integer(str('first-packet-timeout'), 'first-packet-timeout', 1),
  };
  if (Object.values(timing).some((v) => v !== undefined)) options.timing = timing;
  if (flag('no-auto-present')) options.autoPresent = false;
  if (str('default-card') !== undefined) options.defaultCard = str('default-card');
  if (flag('sbp') || flag('sbp-cft') || str('sbp-delay') !== undefined) {
    options.sbp = { enabled: true, cft: flag('sbp-cft'), payDelayMs: integer(str('sbp-delay'), 'sbp-delay') };
  }
  if (flag('dex')) options.dex = { enabled: true };
  if (flag('host-unreachable')) options.hostReachable = false;
  const mifare: NonNullable<SimulatorOptions['mifare']> = {};
  if (str('mifare-image') !== undefined) mifare.card = { imageFile: str('mifare-image') };
  const closeMode = str('mifare-close-without-receipt');
  if (closeMode !== undefined) mifare.closeWithoutReceipt = oneOf(MIFARE_CLOSE_MODES, closeMode, '--mifare-close-without-receipt');
  if (Object.keys(mifare).length > 0) options.mifare = mifare;
  return { options, quiet: flag('quiet'), json: flag('json'), help: flag('help'), version: flag('version') };
}

function describe(e: SimulatorEvent): string {
  switch (e.type) {
    case 'command':
      return `${e.command} → ${e.status}${e.encrypted ? ' (encrypted)' : ''} ${e.ms} ms`;
    case 'message':
      return `  ${e.name}${e.code ? ` ${e.code}` : ''}${e.answer ? ` ← ${e.answer}` : ''}`;
    case 'record':
      return `  log: ${e.kind} #${e.seq} ${e.operation} ${e.tstatus} ${(e.amount / 100).toFixed(2)}`;
    case 'connection-refused':
      return `connection from ${e.remote} refused: ${e.open} connections open, the limit is ${e.max} (--max-connections)`;
    case 'bad-input':
      return `  bad input: ${e.reason}`;
    default:
      return `  ${e.type}: ${JSON.stringify({ ...e, type: undefined })}`;
  }
}

export async function main(args: string[]): Promise<number> {
  let parsed: ReturnType<typeof optionsFromArgs>;
  try {
    parsed = optionsFromArgs(args);
  } catch (error) {
    process.stderr.write(`jpay-sim: ${(error as Error).message}\nTry jpay-sim --help\n`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (parsed.version) {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  let sim: SimulatorHandle;
  try {
    sim = await startSimulator(parsed.options);
  } catch (error) {
    const message = error instanceof JpayError || error instanceof Error ? error.message : String(error);
    process.stderr.write(`jpay-sim: ${message}\n`);
    return 1;
  }
  const control = sim.controlUrl ? `, control ${sim.controlUrl}` : '';
  process.stdout.write(`jpay-sim listening on ${sim.host}:${sim.port} (activator port ${sim.activatorPort}${control})\n`);
  if (!parsed.quiet) {
    sim.on('event', (e) => process.stdout.write(`${parsed.json ? JSON.stringify(e) : describe(e)}\n`));
  }
  return new Promise<number>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      if (!parsed.quiet) process.stdout.write(`jpay-sim: ${signal}, closing\n`);
      sim.close().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
