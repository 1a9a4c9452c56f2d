// What `jpay --mqtt` prints: a gateway's answer as the direct CLI would print the
// terminal's (format.ts), and the table of `--all`.

import type { GatewayAnswer, GatewayOutcome } from '../../gateway/answer';
import type { OperationTotals, ResponseBase, SReport, TerminalParameters, XReport } from '../../protocol/types';
import type { Invocation } from './commands';
import { EXIT_OK, EXIT_UNKNOWN, type ExitCode } from './exit-codes';
import { formatResponse, money } from './format';
import { isRecord } from '../../objects';

/** The worst of several exit codes (3 beats 1 beats 0; 2 is usage, never from an answer). */
export function worstExitCode(codes: readonly ExitCode[]): ExitCode {
  return codes.reduce<ExitCode>((worst, c) => (c === EXIT_UNKNOWN || worst === EXIT_UNKNOWN ? EXIT_UNKNOWN : c > worst ? c : worst), EXIT_OK);
}

/** The answer's result as the terminal response the direct CLI formats. */
function asResponse(answer: GatewayAnswer): ResponseBase {
  const base: ResponseBase = { status: answer.status ?? '', ok: answer.outcome !== 'failed' || isRecord(answer.result), errors: [] };
  const result = answer.result;
  if (!isRecord(result)) return base;
  if (answer.command === 'report' || answer.command === 'settlement') return { ...base, report: result } as ResponseBase;
  if (answer.command === 'transaction') return { ...base, ...result } as ResponseBase;
  return { ...base, ...result, status: base.status } as ResponseBase;
}

/** The human summary of one answer (stdout), or undefined when the answer is an error told on stderr. */
export function formatAnswer(cli: string, invocation: Invocation, answer: GatewayAnswer): string | undefined {
  switch (answer.outcome) {
    case 'ok':
    case 'approved':
    case 'declined':
    case 'cancelled':
      return formatResponse(cli, invocation, asResponse(answer));
    case 'failed':
      return isRecord(answer.result) ? formatResponse(cli, invocation, asResponse(answer)) : `${cli}: FAILED, terminal status ${answer.status ?? '(none)'}${answer.error ? `: ${answer.error.message}` : ''}`;
    case 'outcome-unknown':
      return [
        `OUTCOME UNKNOWN  ${cli}${answer.duplicate ? ' (the stored answer of this id)' : ''}`,
        `  ${answer.error?.message ?? 'the payment was sent and its answer did not arrive: the card MAY have been charged'}`,
        '  Do not repeat it under a new id. Check with:  jpay --mqtt … --tid … report --full',
      ].join('\n');
    case 'in-progress':
      return `IN PROGRESS  a payment with this id is running on the terminal: ask again with the same --id ${answer.id ?? ''}`;
    default:
      return undefined;
  }
}

/** One line for stderr about a refusal or an error. */
export function describeProblem(answer: GatewayAnswer): string {
  const e = answer.error;
  if (!e) return answer.outcome;
  return `${answer.outcome === 'refused' ? 'refused by the gateway' : answer.outcome}: ${e.code}${e.field ? ` (${e.field})` : ''}: ${e.message}`;
}

/** The row of one terminal in the `--all` table. */
export interface FleetRow {
  terminalId: string;
  state: string;
  outcome: GatewayOutcome | 'offline' | 'timeout';
  status?: string;
  ms?: number;
  detail: string;
  answer?: GatewayAnswer;
}

function totals(t: OperationTotals | undefined, currency: string | undefined): string {
  return t ? `${t.totalCount} tx, ${money(t.totalSum, currency) ?? ''}` : '';
}

/** A short description of a successful result, per command. */
export function resultDetail(answer: GatewayAnswer): string {
  const r = answer.result;
  if (!isRecord(r)) return answer.error ? `${answer.error.code}: ${answer.error.message}` : '';
  switch (answer.command) {
    case 'settlement': {
      const s = r as unknown as SReport;
      return [s.passed ? 'passed' : 'NOT passed', s.transactionCount !== undefined ? `${s.transactionCount} tx` : '', money(s.terminalTotal, s.currency) ?? ''].filter((x) => x !== '').join(', ');
    }
    case 'report': {
      const x = r as unknown as XReport;
      return totals(x.grandTotals, x.header.currency) || `${x.transactions.length} tx`;
    }
    case 'getparameters': {
      const p = (r.parameters ?? {}) as TerminalParameters;
      return [p.tid && `tid ${p.tid}`, p.mid && `mid ${p.mid}`, p.app && `app ${p.app}`].filter(Boolean).join(', ');
    }
    default:
      return answer.error ? `${answer.error.code}: ${answer.error.message}` : 'done';
  }
}

const MAX_DETAIL = 80;

export function formatFleetTable(rows: readonly FleetRow[]): string {
  const header = ['TERMINAL', 'STATE', 'OUTCOME', 'STATUS', 'TIME', 'DETAIL'];
  const cells = rows.map((r) => [
    r.terminalId,
    r.state,
    r.outcome,
    r.status ?? '-',
    r.ms === undefined ? '-' : `${(r.ms / 1000).toFixed(1)} s`,
    r.detail.length > MAX_DETAIL ? `${r.detail.slice(0, MAX_DETAIL - 1)}…` : r.detail,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]): string => c.map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]))).join('  ');
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.outcome, (counts.get(r.outcome) ?? 0) + 1);
  const summary = `${rows.length} terminal${rows.length === 1 ? '' : 's'}: ${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')}`;
  return [line(header), ...cells.map(line), '', summary].join('\n');
}

