/**
 * The one way a jpay node shows its status and the one way it refuses to start.
 *
 * A status is a kind (its colour and shape) and an i18n key of the node's namespace
 * (`jpay-publish.status.connected`): the editor translates the key into the editor's own
 * language. Text translated by the runtime (RED._) would stay in the server's language, so
 * it is never shown; a value that needs no translation (the terminal's display text) may
 * stand instead of a key.
 */
import type { Node, NodeMessage, NodeStatus } from 'node-red';
import { JpayValidationError } from '../../lib/errors';
import { ERROR_CODES, JpayFlowError, toFlowError, type FlowErrorCode } from './errors';

type CodedError = Error & { code: FlowErrorCode };

/** `declined`: a red dot — the answer was a clear no (nothing broke, nothing was charged). */
export type StatusKind = 'busy' | 'ok' | 'declined' | 'error' | 'idle' | 'clear';

const LOOK: Record<Exclude<StatusKind, 'clear'>, Pick<NodeStatus, 'fill' | 'shape'>> = {
  busy: { fill: 'yellow', shape: 'ring' },
  ok: { fill: 'green', shape: 'dot' },
  declined: { fill: 'red', shape: 'dot' },
  error: { fill: 'red', shape: 'ring' },
  idle: { fill: 'grey', shape: 'ring' },
};

export function showStatus(node: Node, kind: StatusKind, key = ''): void {
  node.status(kind === 'clear' ? {} : { ...LOOK[kind], text: key });
}

export type InputHandler = (msg: NodeMessage, send: (msg: NodeMessage | (NodeMessage | null)[]) => void, done: (err?: Error) => void) => void;

/**
 * The node cannot work (no terminal, an invalid setting, no ledger): a red ring naming the
 * problem (`statusKey`), the reason logged once, and the input handler that ends every msg
 * with `error`, whose code a Catch node sees. Never a throw from the constructor.
 */
export function refusal(node: Node, statusKey: string, error: CodedError): InputHandler {
  showStatus(node, 'error', statusKey);
  node.error(error.message);
  return (_msg, _send, done) => done(error);
}

/** refusal() for a node that has not registered an input handler yet. */
export function refuseToStart(node: Node, statusKey: string, error: CodedError): void {
  node.on('input', refusal(node, statusKey, error));
}

/** An invalid or missing setting of the node, as the error its refusal ends every msg with (JPAY_VALIDATION). */
export function configError(err: unknown): CodedError {
  if (err instanceof JpayFlowError || err instanceof JpayValidationError) return toFlowError(err);
  return new JpayFlowError(ERROR_CODES.validation, err instanceof Error ? err.message : String(err));
}

/** The node's settings, parsed by `parse`; undefined once the node refused to start with the reason. */
export function parseSettings<T>(node: Node, ns: string, parse: () => T): T | undefined {
  try {
    return parse();
  } catch (err) {
    refuseToStart(node, `${ns}.status.badConfig`, configError(err));
    return undefined;
  }
}
