/** What a command handler gets and returns. */
import type { XmlElement } from '../codec/packet';
import type { CommandName } from '../protocol/types';
import type { Dialogue } from './dialogue';
import type { CommandFaults } from './faults';
import type { Terminal } from './terminal';

export interface CommandContext {
  command: CommandName;
  terminal: Terminal;
  dialogue: Dialogue;
  faults: CommandFaults;
}

export interface CommandResult {
  status: string;
  body?: XmlElement;
  errors?: string[];
  /** Root attributes of the response (login: server-handshake). */
  attrs?: Record<string, string>;
  /** Encrypt the response with this key instead of the command's (login with a handshake). */
  responseKey?: Buffer;
}

export function ok(body?: XmlElement): CommandResult {
  return body === undefined ? { status: 'ok' } : { status: 'ok', body };
}

export function failure(status: string, ...errors: string[]): CommandResult {
  return { status, errors };
}
