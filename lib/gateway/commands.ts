/**
 * The commands a gateway can run for the back office, each off until enabled: how its
 * arguments are checked (by the protocol's own rules, lib/protocol/validation.ts) and
 * what it returns — the payload the Node-RED node of the same command puts in msg.payload.
 * Commands that reset the terminal, change its password or keys' material, clear its log
 * or take card data are not offered over MQTT at all.
 */
import type { JpayClient, TransactionOptions } from '../client/jpay-client';
import { runAdminCommand } from '../results/admin';
import { transactionPayload } from '../results/transaction';
import { findRequestProblem } from '../protocol/validation';
import type { Language, ReportType, TransactionRequest } from '../protocol/types';
import type { GatewayError, GatewayOutcome } from './answer';

export const GATEWAY_COMMANDS = [
  'getparameters',
  'testconnection',
  'report',
  'settlement',
  'updateconfiguration',
  'loadworkkeys',
  'loadmasterkeys',
  'transaction',
] as const;
export type GatewayCommand = (typeof GATEWAY_COMMANDS)[number];

/** Enabled when nothing is said: they read the terminal or test its bank link, and change nothing. */
export const DEFAULT_COMMANDS: readonly GatewayCommand[] = ['getparameters', 'testconnection'];

export function isGatewayCommand(v: unknown): v is GatewayCommand {
  return typeof v === 'string' && (GATEWAY_COMMANDS as readonly string[]).includes(v);
}

/** A request's arguments, checked: what the command will be run with. */
export type CommandArgs =
  | { command: Exclude<GatewayCommand, 'report' | 'transaction'> }
  | { command: 'report'; reportType: ReportType }
  | { command: 'transaction'; request: Omit<TransactionRequest, 'manual'> };

// Stand-ins for the credentials the terminal configuration adds when the command is sent:
// only to run the protocol's schema over what the requester controls. Never sent.
const TOKEN_STANDIN = 'standin-token';
const PASSWORD_STANDIN = '00000000';

function problem(command: string, params: Record<string, unknown>): GatewayError | undefined {
  const found = findRequestProblem(command, params);
  if (!found) return undefined;
  return { code: 'bad-args', message: found.rule, field: found.field === 'params' ? 'args' : `args.${found.field}` };
}

/** Checks the arguments of an enabled command. Secrets were refused before (request.ts). */
export function checkArgs(command: GatewayCommand, args: Record<string, unknown>): { ok: true; args: CommandArgs } | { ok: false; error: GatewayError } {
  switch (command) {
    case 'report': {
      const given = { reportType: 'brief', ...args };
      const error = problem('report', { ...given, password: PASSWORD_STANDIN });
      return error ? { ok: false, error } : { ok: true, args: { command, reportType: given.reportType as ReportType } };
    }
    case 'settlement': {
      const error = problem('settlement', { ...args, password: PASSWORD_STANDIN });
      return error ? { ok: false, error } : { ok: true, args: { command } };
    }
    case 'transaction': {
      const error = problem('transaction', args);
      return error ? { ok: false, error } : { ok: true, args: { command, request: { ...args } as Omit<TransactionRequest, 'manual'> } };
    }
    default: {
      const error = problem(command, { ...args, token: TOKEN_STANDIN });
      return error ? { ok: false, error } : { ok: true, args: { command } };
    }
  }
}

export interface CommandResult {
  outcome: GatewayOutcome;
  status: string;
  result: unknown;
}

export interface RunContext {
  language: Language;
  /** For a payment: its notes for the journal, and per-call handlers. */
  transaction?: TransactionOptions;
}

/** Runs a checked command; rejects with the client's typed errors. */
export async function runCommand(client: JpayClient, args: CommandArgs, context: RunContext): Promise<CommandResult> {
  switch (args.command) {
    case 'report':
      return { outcome: 'ok', status: 'ok', result: await client.report(args.reportType) };
    case 'settlement': {
      const report = await client.settlement();
      return { outcome: report.passed ? 'ok' : 'failed', status: 'ok', result: report };
    }
    case 'transaction': {
      const result = await client.transaction(args.request, context.transaction ?? {});
      const outcome: GatewayOutcome = result.approved ? 'approved' : result.status === 'cancelled' ? 'cancelled' : 'declined';
      return { outcome, status: result.status, result: transactionPayload(result, args.request, { includePlainTextPan: false, language: context.language }) };
    }
    default:
      return { outcome: 'ok', status: 'ok', result: await runAdminCommand(client, { command: args.command }) };
  }
}
