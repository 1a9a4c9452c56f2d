// Help texts, generated from the command table so they never drift from what is parsed.

import { CliOption, CommandSpec, COMMANDS } from './commands';
import { GLOBAL_OPTIONS } from './global-options';

const SYNOPSIS =
  'jpay [--host H] [--port 4433] [--password P | env JPAY_PASSWORD] [--encrypt] [--timeout S] [--idle-timeout S] [--journal FILE [--policy block|warn] [--settle S]] [--json] COMMAND [OPTIONS]';

const MQTT_SYNOPSIS = 'jpay --mqtt URL (--tid T | --all) [--prefix P] [--id ID] [--timeout S] [--json] COMMAND [OPTIONS]   (docs/fleet.md)';

const EXIT_CODES = [
  'Exit codes:',
  '  0  ok (for a transaction: approved)',
  '  1  declined, or the terminal answered with a non-ok status',
  '  2  bad usage or input (nothing was sent)',
  '  3  connection error, timeout, or a transaction whose outcome is UNKNOWN',
  '     (check with: jpay report --full, or reverse with: jpay void --number last)',
].join('\n');

function optionLines(options: Readonly<Record<string, CliOption>>): string[] {
  const rows = Object.entries(options).map(([name, o]) => [`--${name}${o.value ? ` ${o.value}` : ''}`, o.description]);
  const width = Math.max(0, ...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`);
}

export function globalHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `Usage: ${SYNOPSIS}`,
    `       ${MQTT_SYNOPSIS}`,
    '',
    'A command-line client for JPAY payment terminals. Amounts are in major units (123.45).',
    'Progress (terminal display texts, QR codes) goes to stderr; the result goes to stdout.',
    '',
    'Global options:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run jpay COMMAND --help for the options of a command.',
    '',
    EXIT_CODES,
    '',
  ].join('\n');
}

export function commandHelp(spec: CommandSpec): string {
  const options = Object.keys(spec.options).length > 0 ? ['', 'Options:', ...optionLines(spec.options)] : [];
  const notes: string[] = [];
  if (spec.needsPassword) notes.push('Needs the admin password: --password P or env JPAY_PASSWORD.');
  if (spec.transaction) {
    notes.push('Ctrl-C (or --cancel-after) cancels: the terminal is answered "cancelled" on its next keepalive,');
    notes.push("and jpay still waits for and reports the terminal's final answer.");
  }
  if (spec.details) notes.push(spec.details);
  return [
    `Usage: jpay [global options] ${spec.name}${spec.synopsis ? ` ${spec.synopsis}` : ''}`,
    '',
    `${spec.summary[0].toUpperCase()}${spec.summary.slice(1)}.`,
    ...options,
    '',
    'Global options:',
    ...optionLines(GLOBAL_OPTIONS),
    ...(notes.length > 0 ? ['', ...notes] : []),
    '',
    EXIT_CODES,
    '',
  ].join('\n');
}
