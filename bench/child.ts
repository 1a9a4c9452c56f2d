/**
 * Child processes for the benchmarks: the simulated terminals (and the fleet's client)
 * run in their own processes so that their CPU and memory stay out of the measured one.
 * A tiny request/response protocol runs over the IPC channel.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export interface RpcRequest {
  id: number;
  method: string;
  params: unknown;
}

export type RpcReply = { id: number; result: unknown } | { id: number; error: string };

export class Child {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private exited: Error | undefined;

  private constructor(readonly proc: ChildProcess) {
    proc.on('message', (reply: RpcReply) => {
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      if ('error' in reply) waiter.reject(new Error(reply.error));
      else waiter.resolve(reply.result);
    });
    proc.on('exit', (code, signal) => {
      this.exited = new Error(`benchmark child exited (${signal ?? code})`);
      for (const waiter of this.pending.values()) waiter.reject(this.exited);
      this.pending.clear();
    });
  }

  /** Starts bench/<script> in a fresh node process (TypeScript through tsx). */
  static start(script: string, nodeArgs: string[] = []): Child {
    const proc = fork(path.join(__dirname, script), [], {
      execArgv: [...nodeArgs, '-r', require.resolve('tsx/cjs')],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new Child(proc);
  }

  call<T>(method: string, params: unknown = {}): Promise<T> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.proc.send({ id, method, params } satisfies RpcRequest);
    });
  }

  /** Asks the child to exit; kills it if it has not within a few seconds. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    this.call('exit').catch(() => undefined);
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  }
}

/** The child side: serves the parent's requests with the given methods. */
export function serve(methods: Record<string, (params: never) => Promise<unknown> | unknown>): void {
  process.on('message', (request: RpcRequest) => {
    if (request.method === 'exit') {
      process.send?.({ id: request.id, result: null } satisfies RpcReply, () => process.exit(0));
      return;
    }
    const method = methods[request.method];
    const run = async (): Promise<unknown> => {
      if (!method) throw new Error(`unknown method ${request.method}`);
      return method(request.params as never);
    };
    run().then(
      (result) => process.send?.({ id: request.id, result: result ?? null } satisfies RpcReply),
      (error: unknown) => process.send?.({ id: request.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies RpcReply),
    );
  });
  process.on('disconnect', () => process.exit(0));
}
