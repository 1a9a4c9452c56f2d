/** Control-flow signals inside the simulator's command handlers (never leave the simulator). */
import type { JpayStatusCode } from '../protocol/status';

/** End the command with this status and error stack. */
export class CommandAbort extends Error {
  constructor(
    readonly status: JpayStatusCode,
    readonly errors: string[] = [],
  ) {
    super(`${status}${errors.length ? `: ${errors.join('; ')}` : ''}`);
  }
}

/** The client answered a keepalive (or dex) with `cancelled`. */
export class CancelledByClient extends Error {
  constructor() {
    super('cancelled by the client');
  }
}

/** The client went away; nothing can be answered. */
export class ClientGone extends Error {
  constructor(reason = 'client closed the connection') {
    super(reason);
  }
}

/** The client did not answer a message in time. */
export class AnswerTimeout extends Error {
  constructor(
    text: string,
    readonly ms: number,
  ) {
    super(text);
  }
}

/** Fault injection: close the connection without a response. */
export class DropConnection extends Error {
  constructor(readonly fault: string) {
    super(`fault ${fault}`);
  }
}
