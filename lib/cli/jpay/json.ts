// The one JSON object printed on stdout with --json: same facts as the human summary.
// Never carries the password, the token, key material, a full PAN or plain-text-pan.

import { TransactionOutcomeUnknown } from '../../errors';
import { maskPan } from '../../protocol/secret';
import type { ResponseBase, TransactionRequest } from '../../protocol/types';
import type { Invocation } from './commands';
import type { OutcomeKind, Verdict } from './outcome';
import type { Redactor } from './redact';
import { EXIT_OK } from './exit-codes';

export const CHECK_UNKNOWN = ['jpay report --full', 'jpay void --number last'] as const;

export interface JsonOutput {
  command: string;
  ok: boolean;
  outcome: OutcomeKind;
  exitCode: number;
  status?: string;
  approved?: boolean;
  request?: Record<string, unknown>;
  result?: Record<string, unknown>;
  /** --journal: the answer was lost and the terminal's report settled it. */
  recovered?: Record<string, unknown>;
  error?: Record<string, unknown>;
  /** Commands that tell what happened to a transaction whose outcome is unknown. */
  check?: readonly string[];
}

/** The transaction as requested, with the card number masked. */
export function publicRequest(request: TransactionRequest): Record<string, unknown> {
  const { manual, ...rest } = request;
  if (manual === undefined) return { ...rest };
  return { ...rest, manual: { ...manual, pan: maskPan(manual.pan) } };
}

/** The parsed response minus what must not be printed (the token, plain-text-pan). */
export function publicResponse(response: ResponseBase): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(response)) {
    if (key === 'plainTextPan' || key === 'token' || key === 'serverHandshake' || value === undefined) continue;
    out[key] = value;
  }
  return out;
}

/** What every JSON object starts with: the command, its outcome and the exit code it gives. */
export function verdictJson(command: string, verdict: Verdict): Pick<JsonOutput, 'command' | 'ok' | 'outcome' | 'exitCode'> {
  return { command, ok: verdict.exitCode === EXIT_OK, outcome: verdict.kind, exitCode: verdict.exitCode };
}

export function responseJson(cli: string, invocation: Invocation, response: ResponseBase, verdict: Verdict): JsonOutput {
  const out: JsonOutput = { ...verdictJson(cli, verdict), status: response.status };
  if (invocation.command === 'transaction') {
    out.approved = verdict.kind === 'approved';
    out.request = publicRequest(invocation.params);
  }
  out.result = publicResponse(response);
  return out;
}

function errorDetails(error: unknown, redact: Redactor): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: 'Error', message: redact(String(error)) };
  const details: Record<string, unknown> = { type: error.name, message: redact(error.message) };
  // Typed library errors carry their facts as fields (code, phase, status, field, rule…).
  for (const key of ['code', 'phase', 'reason', 'timeoutMs', 'status', 'errors', 'field', 'rule', 'host', 'port', 'command']) {
    const value = (error as unknown as Record<string, unknown>)[key];
    if (value === undefined) continue;
    details[key] = typeof value === 'string' ? redact(value) : Array.isArray(value) ? value.map((v) => redact(String(v))) : value;
  }
  if (error instanceof TransactionOutcomeUnknown) details.transaction = { ...error.transaction };
  return details;
}

export function errorJson(
  cli: string | undefined,
  invocation: Invocation | undefined,
  error: unknown,
  verdict: Verdict,
  redact: Redactor,
): JsonOutput {
  const out: JsonOutput = verdictJson(cli ?? '', verdict);
  if (invocation?.command === 'transaction') out.request = publicRequest(invocation.params);
  out.error = errorDetails(error, redact);
  if (verdict.kind === 'unknown') out.check = CHECK_UNKNOWN;
  return out;
}
