/** Control-flow signals inside the simulator's command handlers and activator session (never leave the simulator). */
import type { JpayStatusCode } from '../protocol/status';

/** End the command with this status and error stack (also: the client answered `cancelled`, or did not answer in time). */
export class CommandAbort extends Error {
  constructor(
    readonly status: JpayStatusCode,
    readonly errors: string[] = [],
  ) {
    super(`${status}${errors.length ? `: ${errors.join('; ')}` : ''}`);
  }
}

/** The client went away; nothing can be answered. */
export class ClientGone extends Error {
  constructor(reason = 'client closed the connection') {
    super(reason);
  }
}

/** Fault injection: close the connection without a response. */
export class DropConnection extends Error {
  constructor(readonly fault: string) {
    super(`fault ${fault}`);
  }
}
