/**
 * Everything the Node-RED runtime produces while a flow runs, as text for the scanner:
 * every msg a node sends (onSend hook, at send time) or receives (onReceive: also what
 * Catch and helper nodes get), and, read from the test helper's spies before unload, every
 * status, warn/error/log/debug/trace call and every RED.log entry.
 */
import type * as NodeRedUtil from '@node-red/util';
import type { Node } from 'node-red';
import type { helper as Helper } from '../helpers/node-red-flows';
import { resolveNodeRed } from '../helpers/node-red-runtime';
import { textOf } from './scanner';

type Recorder = (source: string, text: string) => void;

// The hooks of the Node-RED the tests run on; the typings know only the hook names without a label.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const runtimeHooks = (require(resolveNodeRed('@node-red/util')) as typeof NodeRedUtil).hooks as unknown as {
  add<E>(id: string, handler: (event: E) => void): void;
  remove(id: string): void;
};

const HOOK_LABEL = 'jpaysecretscan';
/** An http-in msg's req/res are the HTTP server's objects (sockets, the app), not node output. */
const SKIP_KEYS: ReadonlySet<string> = new Set(['req', 'res']);
const SPIED = ['status', 'warn', 'error', 'log', 'debug', 'trace'] as const;

interface SpyCall {
  thisValue: unknown;
  args: unknown[];
}

const nodeLabel = (node: Node | undefined, id: string): string => `${node?.type ?? '?'}:${node?.name || id}`;

export class NodeRedCapture {
  private label = '';
  msgs = 0;

  constructor(private readonly record: Recorder) {}

  /** Hooks every msg sent and received from now on (until stop), under `label`. */
  start(label: string): void {
    this.label = label;
    runtimeHooks.add(`onSend.${HOOK_LABEL}`, (events: { msg: unknown; source: { id: string; node: Node } }[]) => {
      for (const e of events) {
        this.msgs += 1;
        this.record(`msg-sent:${this.label}:${nodeLabel(e.source.node, e.source.id)}`, textOf(e.msg, SKIP_KEYS));
      }
    });
    runtimeHooks.add(`onReceive.${HOOK_LABEL}`, (e: { msg: unknown; destination: { id: string; node: Node } }) => {
      this.msgs += 1;
      this.record(`msg-received:${this.label}:${nodeLabel(e.destination.node, e.destination.id)}`, textOf(e.msg, SKIP_KEYS));
    });
  }

  /** Reads the helper's spies: call before helper.unload() (which drops them). */
  collectSpies(helper: typeof Helper, anyNode: Node): number {
    let calls = 0;
    for (const method of SPIED) {
      const spy = (anyNode as unknown as Record<string, unknown>)[method] as { getCalls?: () => SpyCall[] } | undefined;
      for (const call of spy?.getCalls?.() ?? []) {
        calls += 1;
        const node = call.thisValue as Node | undefined;
        this.record(`node-${method}:${this.label}:${nodeLabel(node, node?.id ?? '?')}`, textOf(call.args, SKIP_KEYS));
      }
    }
    for (const call of helper.log().getCalls() as SpyCall[]) {
      calls += 1;
      this.record(`runtime-log:${this.label}`, textOf(call.args, SKIP_KEYS));
    }
    return calls;
  }

  stop(): void {
    runtimeHooks.remove(`*.${HOOK_LABEL}`);
  }
}
