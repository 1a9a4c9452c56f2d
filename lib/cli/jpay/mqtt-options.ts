// `jpay --mqtt URL --tid T COMMAND` / `--all`: the options that send a command through a
// broker to terminals' gateways (docs/fleet.md), and which commands may go that way.

import { GATEWAY_COMMANDS } from '../../gateway/commands';
import { checkBrokerUrl } from '../../gateway/mqtt-client';
import { REQUEST_ID } from '../../gateway/topics';
import { Secret } from '../../protocol/secret';
import type { TransactionRequest } from '../../protocol/types';
import { checkTerminalId, normalizePrefix } from '../../publish/topics';
import { type CliOption, flag, type Invocation, type OptionValues, str, text } from './commands';
import { UsageError } from './usage-error';

export const MQTT_OPTIONS: Readonly<Record<string, CliOption>> = {
  mqtt: text('URL', "send the command to a terminal's gateway through this MQTT broker (docs/fleet.md); its account: env JPAY_MQTT_USERNAME, JPAY_MQTT_PASSWORD"),
  tid: text('T', 'with --mqtt: the terminal (its topic level)'),
  all: flag('with --mqtt: every terminal that published a state; prints a table'),
  prefix: text('P', 'with --mqtt: the topic prefix (default jpay, or env JPAY_MQTT_PREFIX)'),
  id: text('ID', "with --mqtt: the request id; a payment's idempotency key (ask again with it to learn its outcome)"),
  'mqtt-ca': text('FILE', 'with --mqtt: CA certificate (PEM) of the broker, for mqtts:// and wss://'),
};

/** Where an `--mqtt` command goes. */
export interface MqttTarget {
  url: string;
  username?: string;
  password?: Secret;
  prefix: string;
  /** One terminal, or every one with a state (`all`). */
  terminalId?: string;
  all: boolean;
  id?: string;
  caFile?: string;
}

/** A command as the gateway takes it. */
export interface GatewayCall {
  command: string;
  args: Record<string, unknown>;
  /** A payment (never with --all). */
  payment: boolean;
}

/** The --mqtt target, or undefined without --mqtt. Throws UsageError for combinations that make no sense. */
export function mqttTarget(values: OptionValues, env: NodeJS.ProcessEnv): MqttTarget | undefined {
  const url = str(values, 'mqtt');
  if (url === undefined) {
    const stray = ['tid', 'all', 'prefix', 'id', 'mqtt-ca'].find((name) => values[name] !== undefined);
    if (stray !== undefined) throw new UsageError(`--${stray} is for --mqtt (a command through a broker)`);
    return undefined;
  }
  try {
    checkBrokerUrl(url);
  } catch {
    throw new UsageError('--mqtt: expected a broker URL: mqtt://host:1883, mqtts://host:8883, ws:// or wss://');
  }
  if (values.password !== undefined) throw new UsageError('--password is refused with --mqtt: the admin password stays in the terminal configuration, it never travels over MQTT');
  const tid = str(values, 'tid');
  const all = values.all === true;
  if (all === (tid !== undefined)) throw new UsageError('--mqtt needs either --tid T (one terminal) or --all');
  const target: MqttTarget = { url, prefix: '', all };
  try {
    target.prefix = normalizePrefix(str(values, 'prefix') ?? (env.JPAY_MQTT_PREFIX || undefined));
  } catch (error) {
    throw new UsageError(`--prefix: ${(error as Error).message.replace(/^prefix: /, '')}`);
  }
  if (tid !== undefined) {
    try {
      target.terminalId = checkTerminalId(tid);
    } catch (error) {
      throw new UsageError(`--tid: ${(error as Error).message.replace(/^terminalId: /, '')}`);
    }
  }
  const id = str(values, 'id');
  if (id !== undefined) {
    if (all) throw new UsageError('--id is for one terminal (--tid): with --all every terminal gets its own id');
    if (!REQUEST_ID.test(id)) throw new UsageError('--id: 1 to 64 letters, digits, ., _, : or -, starting with a letter or digit');
    target.id = id;
  }
  const ca = str(values, 'mqtt-ca');
  if (ca !== undefined) target.caFile = ca;
  if (env.JPAY_MQTT_USERNAME) target.username = env.JPAY_MQTT_USERNAME;
  if (env.JPAY_MQTT_PASSWORD) target.password = new Secret(env.JPAY_MQTT_PASSWORD);
  return target;
}

/** The gateway request of a parsed invocation; UsageError for what is not offered over MQTT. */
export function gatewayCall(cli: string, invocation: Invocation, all: boolean): GatewayCall {
  switch (invocation.command) {
    case 'report':
      return { command: 'report', args: { reportType: invocation.params.reportType }, payment: false };
    case 'transaction': {
      if (invocation.params.manual !== undefined) throw new UsageError('manual card entry is never sent over MQTT', cli);
      if (all) throw new UsageError('--all does not take payments: one terminal at a time (--tid)', cli);
      if (invocation.cancelAfterMs !== undefined) throw new UsageError('--cancel-after is not available over MQTT', cli);
      const request: Omit<TransactionRequest, 'manual'> = { ...invocation.params };
      return { command: 'transaction', args: { ...request }, payment: true };
    }
    default:
      if ((GATEWAY_COMMANDS as readonly string[]).includes(invocation.command)) return { command: invocation.command, args: {}, payment: false };
      throw new UsageError(`${cli} is not available over MQTT (gateway commands: ${GATEWAY_COMMANDS.filter((c) => c !== 'transaction').join(', ')}, purchase, refund, void, cashback)`, cli);
  }
}
