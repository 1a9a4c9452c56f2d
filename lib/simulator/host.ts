/** Talking to the (simulated) bank host: D1 connecting … D4 answer received. */
import { describeStatus } from '../protocol/status';
import type { CommandContext, StatusAnswer } from './context';
import { show } from './display-script';
import { CommandAbort } from './errors';
import { STATUS_PATH, type OutcomeSpec, type StatusPhase } from './outcome';

/** Throws the outcome's status if it belongs to `phase`, after the displays that lead to it. */
export async function failInPhase(ctx: CommandContext, outcome: OutcomeSpec | undefined, phase: StatusPhase): Promise<void> {
  const status = outcome?.status;
  if (status === undefined || status === 'ok' || (STATUS_PATH[status]?.phase ?? 'start') !== phase) return;
  for (const code of STATUS_PATH[status]?.display ?? []) await show(ctx, code);
  throw new CommandAbort(status, outcome?.errors ?? [describeStatus(status, 'en')]);
}

/** Whether the host can be reached for this command (state, one-shot fault). */
export function hostDown(ctx: CommandContext): boolean {
  const t = ctx.terminal;
  if (!t.hostReachable) return true;
  if (ctx.faults.take('host-unreachable')) {
    t.emitEvent({ type: 'fault', kind: 'host-unreachable', command: ctx.command });
    return true;
  }
  return false;
}

export const HOST_UNREACHABLE = 'Host name is not found.';

/** Waits the host's answer time; a communicationerror answer if the host cannot be reached (`more`: what failed). */
export async function unreachableHost(ctx: CommandContext, ...more: string[]): Promise<StatusAnswer | undefined> {
  await ctx.messages.pause(ctx.terminal.config.timing.hostDelayMs);
  return hostDown(ctx) ? { status: 'communicationerror', errors: [HOST_UNREACHABLE, ...more] } : undefined;
}

/**
 * D1, the host's delay, then D4; host-phase statuses end the command here. Returns
 * 'offline' when the host could not be reached but the outcome is an
 * unable-to-go-online decline (the card then declines offline).
 */
export async function hostExchange(ctx: CommandContext, outcome: OutcomeSpec | undefined): Promise<'online' | 'offline'> {
  const delay = ctx.terminal.config.timing.hostDelayMs;
  await show(ctx, 'D1');
  await ctx.messages.pause(delay + (outcome?.hostDelayMs ?? 0));
  const unreachable = hostDown(ctx) || outcome?.status === 'communicationerror';
  if (unreachable || outcome?.declineReason === 'unabletogoonline') {
    await show(ctx, 'D2');
    await ctx.messages.pause(delay);
    await show(ctx, 'D3');
    if (outcome?.declineReason === 'unabletogoonline') return 'offline';
    throw new CommandAbort('communicationerror', outcome?.errors ?? [HOST_UNREACHABLE]);
  }
  await failInPhase(ctx, outcome, 'host');
  await show(ctx, 'D4');
  return 'online';
}
