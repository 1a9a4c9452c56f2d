/** What a command handler gets and returns. */
import type { Packet } from '../codec/packet';
import { buildResponse } from '../protocol/responses';
import type { JpayStatusCode } from '../protocol/status';
import type { CommandName, RequestParams, ResponseToWrite } from '../protocol/types';
import type { MessageDispatch } from './message-dispatch';
import type { CommandFaults } from './faults';
import type { Terminal } from './terminal';

export interface CommandContext {
  command: CommandName;
  terminal: Terminal;
  messages: MessageDispatch;
  faults: CommandFaults;
}

/** A status the simulator sends and its error stack: an Appendix A code, so a typo does not compile. */
export interface StatusAnswer {
  status: JpayStatusCode;
  errors?: string[];
}

/**
 * The typed response a handler returns; the connection writes it with the protocol's
 * responseToPacket. A status-only answer fits every command.
 */
export type Answer<C extends CommandName> = ResponseToWrite<C> &
  StatusAnswer & {
    /** Encrypt the response with this key instead of the command's (login with a handshake). */
    responseKey?: Buffer;
  };

export type Handler<C extends CommandName> = (ctx: CommandContext, params: RequestParams[C]) => Promise<Answer<C>>;

/**
 * The one raw response the simulator writes: a status-only answer to a packet whose root
 * is no command (bad XML, an unknown root, the activator port).
 */
export function statusPacket(name: string, answer: StatusAnswer): Packet {
  return buildResponse(name, answer.status, {}, answer.errors);
}
