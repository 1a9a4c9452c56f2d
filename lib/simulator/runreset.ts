/**
 * runreset (§10), client side: while the terminal waits for the activator on its port it
 * sends `<keep-alive><reset-connected-indicator>0</…>` periodically, 1 once the activator
 * has connected; any answer but ok aborts. The command answers when the activator
 * dialogue (activator.ts) has finished.
 */
import { packetStatus } from '../codec/packet';
import type { CommandContext, CommandResult } from './context';
import { CommandAbort } from './errors';

export interface ResetOutcome {
  status: string;
  errors: string[];
}

/** The meeting point of a runreset command and the activator connection. */
export class ResetSession {
  connected = false;
  private resolveDone: ((outcome: ResetOutcome) => void) | undefined;
  private wake: (() => void) | undefined;
  readonly done: Promise<ResetOutcome>;
  aborted = false;

  constructor() {
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
  }

  /** The activator sent `<reset/>`. */
  activatorConnected(): void {
    this.connected = true;
    this.wake?.();
  }

  finish(outcome: ResetOutcome): void {
    this.resolveDone?.(outcome);
    this.resolveDone = undefined;
  }

  /** Resolves on the next change (connected / done). */
  changed(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }
}

export async function handleRunreset(ctx: CommandContext): Promise<CommandResult> {
  const t = ctx.terminal;
  const timing = t.config.timing;
  const session = new ResetSession();
  t.pendingReset = session;
  const deadline = Date.now() + timing.activatorTimeoutMs;
  let timer: NodeJS.Timeout | undefined;
  try {
    for (;;) {
      const answer = await ctx.dialogue.ask({ name: 'keep-alive', message: { activatorConnected: session.connected } });
      const status = packetStatus(answer)?.trim().toLowerCase();
      if (status !== 'ok') {
        throw new CommandAbort(status === 'cancelled' ? 'cancelled' : 'failed', [
          `initialisation aborted: keep-alive answered ${status ?? 'without a status'}`,
        ]);
      }
      if (!session.connected && Date.now() >= deadline) {
        throw new CommandAbort('timeout', [`no activator connected within ${timing.activatorTimeoutMs} ms`]);
      }
      const tick = new Promise<'tick'>((resolve) => {
        timer = setTimeout(() => resolve('tick'), timing.resetKeepAliveIntervalMs);
      });
      const event = await Promise.race([tick, session.changed().then(() => 'changed' as const), session.done]);
      clearTimeout(timer);
      if (typeof event === 'object') return event.status === 'ok' ? { status: 'ok' } : { status: event.status, errors: event.errors };
    }
  } finally {
    clearTimeout(timer);
    session.aborted = true;
    if (t.pendingReset === session) t.pendingReset = undefined;
  }
}
