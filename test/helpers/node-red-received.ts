/**
 * What nodes of the Node-RED runtime RECEIVE, by destination id, across deployments (the
 * runtime's onReceive hook): a msg a closing node sends into its stopped flow reaches no
 * one and is not recorded — which is what a test of a redeploy must see. A node that
 * replaces another (same id) records into the same list.
 */
import type * as NodeRedUtil from '@node-red/util';
import type { NodeMessage } from 'node-red';
import { resolveNodeRed } from './node-red-runtime';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const runtimeHooks = (require(resolveNodeRed('@node-red/util')) as typeof NodeRedUtil).hooks as unknown as {
  add<E>(id: string, handler: (event: E) => void): void;
  remove(id: string): void;
};

let counter = 0;

export interface Received {
  /** Every msg `id` received so far, in order. */
  all(id: string): NodeMessage[];
  /** The next msg `id` receives that was not taken yet (waits up to timeoutMs). */
  next(id: string, timeoutMs?: number): Promise<NodeMessage>;
  /** Removes the hook. */
  stop(): void;
}

export function recordReceived(): Received {
  const label = `jpayreceived${++counter}`;
  const got = new Map<string, NodeMessage[]>();
  const taken = new Map<string, number>();
  const waiters = new Map<string, (() => void)[]>();
  runtimeHooks.add(`onReceive.${label}`, (e: { msg: NodeMessage; destination: { id: string } }) => {
    const id = e.destination.id;
    got.set(id, [...(got.get(id) ?? []), e.msg]);
    for (const wake of waiters.get(id)?.splice(0) ?? []) wake();
  });
  const all = (id: string): NodeMessage[] => got.get(id) ?? [];
  return {
    all,
    async next(id, timeoutMs = 8000) {
      const deadline = Date.now() + timeoutMs;
      while ((taken.get(id) ?? 0) >= all(id).length) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`${id}: no msg within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          const list = waiters.get(id) ?? [];
          list.push(() => {
            clearTimeout(timer);
            resolve();
          });
          waiters.set(id, list);
        });
      }
      const i = taken.get(id) ?? 0;
      taken.set(id, i + 1);
      return all(id)[i];
    },
    stop: () => runtimeHooks.remove(`onReceive.${label}`),
  };
}
