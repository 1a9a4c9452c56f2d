/** Command dispatch: access rules (§5–§7), the busy lock, and the handler of each command. */
import type { CommandName } from '../protocol/types';
import { isTokenCommand } from '../protocol/validation';
import type { ParsedRequest } from '../protocol';
import * as admin from './admin';
import type { Answer, CommandContext, Handler } from './context';
import { handleRunreset } from './runreset';
import { handleClear, handleReport, handleSettlement } from './settlement';
import { handleTransaction } from './transaction';

const HANDLERS: { [C in CommandName]: Handler<C> } = {
  login: admin.handleLogin,
  logout: admin.handleLogout,
  changepassword: admin.handleChangePassword,
  updateconfiguration: admin.handleUpdateConfiguration,
  loadworkkeys: admin.handleLoadWorkKeys,
  loadmasterkeys: admin.handleLoadMasterKeys,
  testconnection: admin.handleTestConnection,
  getparameters: admin.handleGetParameters,
  transaction: handleTransaction,
  report: handleReport,
  settlement: handleSettlement,
  clear: handleClear,
  resetpassword: admin.handleResetPassword,
  sethostkey: admin.handleSetHostKey,
  runreset: handleRunreset,
};

/** Commands that hold the terminal: a second one while one runs gets `failed` (busy). */
export const EXCLUSIVE_COMMANDS: ReadonlySet<CommandName> = new Set(['transaction', 'settlement', 'clear', 'runreset']);

/** Commands with a record point (where drop-before-record strikes inside the handler). */
export const EFFECT_COMMANDS: ReadonlySet<CommandName> = new Set(['transaction', 'settlement', 'clear']);

export const BUSY_ERROR = 'terminal is busy: another operation is in progress';

export async function dispatch(ctx: CommandContext, request: ParsedRequest): Promise<Answer<CommandName>> {
  const t = ctx.terminal;
  if (isTokenCommand(request.command)) {
    const token = (request.params as { token?: string }).token;
    if (!t.checkToken(token)) return { status: 'notauthorized' };
  }
  const exclusive = EXCLUSIVE_COMMANDS.has(request.command);
  if (exclusive) {
    if (t.busy !== undefined) {
      t.emitEvent({ type: 'busy', command: request.command, holder: t.busy });
      return { status: 'failed', errors: [BUSY_ERROR] };
    }
    t.busy = request.command;
  }
  try {
    const handler = HANDLERS[request.command] as Handler<CommandName>;
    return await handler(ctx, request.params);
  } finally {
    if (exclusive) t.busy = undefined;
  }
}
