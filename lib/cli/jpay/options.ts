// Command-line parsing: global options, the command, its options (node:util parseArgs).
// Global options may come before or after the command: `jpay --json purchase …` and
// `jpay purchase … --json` mean the same.

import { parseArgs } from 'node:util';
import { Secret } from '../../protocol/secret';
import { validateFields } from '../../protocol/validation';
import { asUsage, CliOption, CommandSpec, findCommand, Invocation, optionOf, OptionValues, parseSeconds, str } from './commands';
import { DEFAULT_HOST, DEFAULT_PORT, GLOBAL_OPTIONS } from './global-options';
import { mqttTarget, type MqttTarget } from './mqtt-options';
import { commandHelp, globalHelp } from './usage';
import { UsageError } from './usage-error';

export interface GlobalOptions {
  host: string;
  port: number;
  password?: Secret;
  encrypt: boolean;
  timeoutMs?: number;
  idleTimeoutMs?: number;
  json: boolean;
  /** --journal: outcome-unknown recovery (lib/recovery) around every transaction. */
  journal?: { file: string; policy: 'block' | 'warn'; settleMs?: number };
  /** --mqtt: the command goes to terminals' gateways through a broker (docs/fleet.md). */
  mqtt?: MqttTarget;
}

export type CommandLine =
  | { kind: 'help'; text: string }
  | { kind: 'version' }
  | { kind: 'run'; spec: CommandSpec; global: GlobalOptions; invocation: Invocation };

type ParseOptions = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

function toParseArgs(options: Readonly<Record<string, CliOption>>): ParseOptions {
  const out: ParseOptions = {};
  for (const [name, o] of Object.entries(options)) out[name] = name === 'help' ? { type: 'boolean', short: 'h' } : { type: o.type };
  return out;
}

const GLOBAL_WITH_VALUE = new Set(
  Object.entries(GLOBAL_OPTIONS)
    .filter(([, o]) => o.type === 'string')
    .map(([n]) => `--${n}`),
);

/** Index of the command word: the first argument that is neither an option nor a global option's value. */
function commandIndex(argv: readonly string[]): number {
  let i = 0;
  while (i < argv.length && argv[i].startsWith('-') && argv[i] !== '-' && argv[i] !== '--') {
    i += GLOBAL_WITH_VALUE.has(argv[i]) ? 2 : 1;
  }
  return i;
}

function parse(args: string[], options: Readonly<Record<string, CliOption>>, command?: string): OptionValues {
  try {
    return parseArgs({ args, options: toParseArgs(options), strict: true, allowPositionals: false }).values;
  } catch (error) {
    // parseArgs' messages name the option, never an option's value.
    throw new UsageError((error as Error).message.split('\n')[0], command);
  }
}

/** The command named in argv, if it is a known one (for messages about a command line that did not parse). */
export function commandNameOf(argv: readonly string[]): string | undefined {
  const name = argv[commandIndex(argv)];
  return name !== undefined && findCommand(name) !== undefined ? name : undefined;
}

/** True when `--json` appears among the arguments (used to shape usage errors before parsing succeeds). */
export function wantsJson(argv: readonly string[]): boolean {
  return argv.includes('--json');
}

function globalOptions(values: OptionValues, env: NodeJS.ProcessEnv): GlobalOptions {
  const text = (name: string): string | undefined => str(values, name);
  const host = text('host') ?? env.JPAY_HOST ?? DEFAULT_HOST;
  if (host === '') throw new UsageError('--host: must not be empty');
  const portText = text('port') ?? env.JPAY_PORT ?? String(DEFAULT_PORT);
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) throw new UsageError('--port: expected a TCP port number 1..65535');
  const passwordText = text('password') ?? env.JPAY_PASSWORD;
  if (passwordText !== undefined) asUsage(() => validateFields('login', { password: passwordText }, optionOf));
  const options: GlobalOptions = {
    host,
    port,
    password: passwordText === undefined ? undefined : new Secret(passwordText),
    encrypt: values.encrypt === true,
    timeoutMs: parseSeconds(text('timeout'), '--timeout'),
    idleTimeoutMs: parseSeconds(text('idle-timeout'), '--idle-timeout'),
    json: values.json === true,
    ...journalOptions(text('journal'), text('policy'), text('settle')),
  };
  const mqtt = mqttTarget(values, env);
  return mqtt === undefined ? options : { ...options, mqtt };
}

function journalOptions(file: string | undefined, policy: string | undefined, settle: string | undefined): Pick<GlobalOptions, 'journal'> {
  if (file === undefined) {
    if (policy !== undefined || settle !== undefined) throw new UsageError(`--${policy !== undefined ? 'policy' : 'settle'}: only with --journal FILE`);
    return {};
  }
  if (file === '') throw new UsageError('--journal: a file name is required');
  if (policy !== undefined && policy !== 'block' && policy !== 'warn') throw new UsageError('--policy: expected block or warn');
  const settleMs = settle === '0' ? 0 : parseSeconds(settle, '--settle');
  return { journal: { file, policy: policy === 'warn' ? 'warn' : 'block', ...(settleMs === undefined ? {} : { settleMs }) } };
}

/** Parses argv (without `node` and the script). Throws UsageError for bad usage or input. */
export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv = {}): CommandLine {
  const at = commandIndex(argv);
  const before = parse(argv.slice(0, at), GLOBAL_OPTIONS);
  const name = argv[at];
  if (name === undefined || name === '--' || name === '-') {
    if (before.help === true) return { kind: 'help', text: globalHelp() };
    if (before.version === true) return { kind: 'version' };
    throw new UsageError('no command given');
  }
  const spec = findCommand(name);
  if (spec === undefined) {
    if (before.help === true) return { kind: 'help', text: globalHelp() };
    throw new UsageError(`unknown command '${name.slice(0, 40)}'`);
  }
  const after = parse(argv.slice(at + 1), { ...GLOBAL_OPTIONS, ...spec.options }, spec.name);
  if (before.help === true || after.help === true) return { kind: 'help', text: commandHelp(spec) };
  if (before.version === true || after.version === true) return { kind: 'version' };
  const merged: OptionValues = { ...before };
  for (const [k, v] of Object.entries(after)) if (v !== undefined) merged[k] = v;
  const global = globalOptions(merged, env);
  const invocation = spec.plan(merged);
  if (global.mqtt && global.journal) throw new UsageError('--journal: only with a direct connection to a terminal (the gateway keeps its own journal), not with --mqtt');
  if (spec.needsJournal && global.journal === undefined) throw new UsageError(`${spec.name} needs --journal FILE`, spec.name);
  if (spec.needsPassword && global.password === undefined && global.mqtt === undefined) {
    throw new UsageError(`${spec.name} needs the admin password: --password P or env JPAY_PASSWORD`, spec.name);
  }
  return { kind: 'run', spec, global, invocation };
}
