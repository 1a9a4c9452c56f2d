// The options every command takes. Kept apart so help and parsing share one table.

import { flag, text, type CliOption } from './commands';
import { MQTT_OPTIONS } from './mqtt-options';

export const DEFAULT_PORT = 4433;
export const DEFAULT_HOST = '127.0.0.1';

export const GLOBAL_OPTIONS: Readonly<Record<string, CliOption>> = {
  host: text('H', `terminal address (default ${DEFAULT_HOST}, or env JPAY_HOST)`),
  port: text('PORT', `terminal port (default ${DEFAULT_PORT}, or env JPAY_PORT)`),
  password: text('P', 'admin password, 8 digits (or env JPAY_PASSWORD; never printed)'),
  encrypt: flag('encrypted session (ECDH key exchange at login, then AES-GCM)'),
  timeout: text('S', 'cap: give up after S seconds, keep-alives or not (the whole command or transaction; default 600)'),
  'idle-timeout': text('S', 'give up when the terminal sends nothing for S seconds (each keep-alive or display restarts it; default 180)'),
  journal: text('FILE', 'journal every transaction in FILE before it is sent; recover unknown outcomes of earlier runs before the next sale'),
  policy: text('block|warn', 'with --journal: refuse a sale while earlier outcomes stay unknown (block, default) or warn and sell'),
  settle: text('S', 'with --journal: wait S seconds after a lost answer before reading the report (default 45)'),
  json: flag('print the result as one JSON object on stdout'),
  ...MQTT_OPTIONS,
  help: flag('show help (also after a command: jpay purchase --help)'),
  version: flag('print the version of jpay and exit'),
};
