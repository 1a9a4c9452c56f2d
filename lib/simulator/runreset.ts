/**
 * runreset (§10), client side: while the terminal waits for the activator on its port it
 * sends `<keep-alive><reset-connected-indicator>0</…>` periodically, 1 while an activator
 * is connected (from its TCP connection on, not from `<reset/>`); any answer but ok aborts. The command answers when the activator
 * session (activator.ts) has finished.
 */
import { packetStatus } from '../codec/packet';
import type { Answer, CommandContext, StatusAnswer } from './context';
import { CommandAbort } from './errors';
import { afterTimer } from './message-dispatch';

/** The meeting point of a runreset command and the activator connection. */
export class ResetSession {
  /** Activator connections open on the activator port since this runreset began. */
  private connections = 0;
  /** An activator sent `<reset/>`: the initialisation is under way (only one may run). */
  started = false;
  private resolveDone: ((outcome: StatusAnswer) => void) | undefined;
  private wake: (() => void) | undefined;
  readonly done: Promise<StatusAnswer>;
  aborted = false;

  constructor() {
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
  }

  /**
   * `reset-connected-indicator`: §10 "is set to 1 when the activator connects to the
   * terminal" — the TCP connection, before (and whether or not) `<reset/>` arrives. It
   * falls back to 0 if every activator connection closes before a reset started.
   */
  get connected(): boolean {
    return this.started || this.connections > 0;
  }

  /** An activator opened a connection on the activator port. */
  activatorConnected(): void {
    this.connections += 1;
    this.wake?.();
  }

  activatorDisconnected(): void {
    this.connections = Math.max(0, this.connections - 1);
    this.wake?.();
  }

  /** The activator sent `<reset/>`. */
  resetStarted(): void {
    this.started = true;
    this.wake?.();
  }

  finish(outcome: StatusAnswer): void {
    this.resolveDone?.(outcome);
    this.resolveDone = undefined;
  }

  /** Resolves on the next change (connected / disconnected / started). */
  changed(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }
}

export async function handleRunreset(ctx: CommandContext): Promise<Answer<'runreset'>> {
  const t = ctx.terminal;
  const timing = t.config.timing;
  const session = new ResetSession();
  t.pendingReset = session;
  const deadline = Date.now() + timing.activatorTimeoutMs;
  try {
    for (;;) {
      const answer = await ctx.messages.ask({ name: 'keep-alive', message: { activatorConnected: session.connected } });
      const status = packetStatus(answer)?.trim().toLowerCase();
      if (status !== 'ok') {
        throw new CommandAbort(status === 'cancelled' ? 'cancelled' : 'failed', [
          `initialisation aborted: keep-alive answered ${status ?? 'without a status'}`,
        ]);
      }
      if (!session.connected && Date.now() >= deadline) {
        throw new CommandAbort('timeout', [`no activator connected within ${timing.activatorTimeoutMs} ms`]);
      }
      // The next keep-alive goes at the interval or at once when the activator's state changes.
      const done = await afterTimer(timing.resetKeepAliveIntervalMs, (tick) => Promise.race([tick, session.changed(), session.done]));
      if (done) return done;
    }
  } finally {
    session.aborted = true;
    if (t.pendingReset === session) t.pendingReset = undefined;
  }
}
