// `jpay --journal FILE`: outcome-unknown recovery around the CLI's transactions, and the
// `recover` command. Every transaction is journaled before it is sent; unknown outcomes
// of earlier runs are recovered before the next sale (policy block / warn); a lost answer
// is settled from the terminal's report when the password is given. The recovery itself
// is lib/recovery's TransactionRecovery: this file only tells a person what it found.

import type { JpayClient } from '../../client';
import type { TransactionRequest } from '../../protocol/types';
import { TransactionRecovery } from '../../recovery/transaction-recovery';
import type { Delivery, JournalEntry, RecoveryResult } from '../../recovery/types';
import { money } from './format';
import type { GlobalOptions } from './options';

export type JournalSettings = NonNullable<GlobalOptions['journal']>;

/** Opens the journal; recovered leftovers and warnings go to `line` (stderr) as they happen. */
export async function openRecovery(settings: JournalSettings, line: (text: string) => void): Promise<TransactionRecovery> {
  const recovery = await TransactionRecovery.open(settings.file, {
    policy: settings.policy,
    ...(settings.settleMs === undefined ? {} : { settleMs: settings.settleMs }),
    logger: { warn: (message) => line(`jpay: warning: ${message}`) },
  });
  recovery.on('recovered', ({ source, results }) => {
    // The sale's own lost answer is the result itself; the others are earlier transactions.
    if (source === 'transaction' || source === 'explicit') return;
    for (const r of results) line(`jpay: earlier transaction ${describeResult(r)}`);
  });
  return recovery;
}

function requestText(request: Pick<TransactionRequest, 'type' | 'amount' | 'currency'>): string {
  const amount = money(request.amount, request.currency);
  return amount === undefined ? request.type : `${request.type} ${amount}`;
}

function outcomeText(r: Pick<RecoveryResult, 'outcome' | 'reversal'>): string {
  if (r.outcome === 'approved') return r.reversal?.state === 'done' ? 'APPROVED, then REVERSED (not charged)' : 'APPROVED (charged)';
  if (r.outcome === 'ambiguous') return 'AMBIGUOUS (a person must check the report)';
  return 'NOT CHARGED (declined or never recorded)';
}

function receiptText(r: Pick<RecoveryResult, 'receipt'>): string {
  const parts = [r.receipt?.seq && `receipt ${r.receipt.seq}`, r.receipt?.rrn && `RRN ${r.receipt.rrn}`].filter(Boolean);
  return parts.length > 0 ? `, ${parts.join(', ')}` : '';
}

export function describeResult(r: RecoveryResult): string {
  return `${r.id} (${r.begunAt}): ${requestText(r.request)}: ${outcomeText(r)}${receiptText(r)}${r.reason ? ` [${r.reason}]` : ''}`;
}

/** stdout for a sale whose answer was lost and the report settled. */
export function formatRecovered(request: TransactionRequest, result: RecoveryResult): string {
  return [
    `RECOVERED  ${requestText(request)}: ${outcomeText(result)}`,
    "  The answer was lost; the terminal's report says so. Nothing was sent again.",
    `  journal id  ${result.id}${receiptText(result).replace(/^, /, '\n  ')}`,
  ].join('\n');
}

export interface RecoverReport {
  results: RecoveryResult[];
  /** Still unknown after the report (ambiguous), or decided earlier as ambiguous and never resolved. */
  needsReview: JournalEntry[];
  /** Outcomes kept for Node-RED nodes that never received them. */
  undelivered: Delivery[];
  acknowledged?: string;
}

/** `jpay recover`: settles what can be settled, then lists what needs a person. */
export async function recoverNow(recovery: TransactionRecovery, client: JpayClient, acknowledge: string | undefined): Promise<RecoverReport> {
  const report: RecoverReport = { results: await recovery.recover(client), needsReview: [], undelivered: [] };
  if (acknowledge !== undefined) {
    await recovery.acknowledge(acknowledge);
    report.acknowledged = acknowledge;
  }
  report.needsReview = recovery.needsReview(client);
  report.undelivered = recovery.undelivered();
  return report;
}

export function formatRecoverReport(report: RecoverReport): string {
  const lines = [`RECOVERY: ${report.results.length} transaction(s) settled from the report`];
  for (const r of report.results) lines.push(`  ${describeResult(r)}`);
  if (report.acknowledged) lines.push(`Acknowledged: ${report.acknowledged} (no node will receive it)`);
  if (report.needsReview.length > 0) {
    lines.push(`Needs a person (${report.needsReview.length}): compare with jpay report --full, then decide`);
    for (const e of report.needsReview) lines.push(`  ${e.id} (${e.begunAt}): ${requestText(e.request)}${e.recovery?.reason ? ` [${e.recovery.reason}]` : ''}`);
  }
  if (report.undelivered.length > 0) {
    lines.push(`Kept for Node-RED nodes that never received them (${report.undelivered.length}):`);
    for (const d of report.undelivered) {
      lines.push(`  ${describeResult(d.result)} for node ${String(d.result.annotations.owner)}${d.repeated ? ' (may have been delivered)' : ''}`);
    }
  }
  return lines.join('\n');
}

/** The JSON `result` of `jpay recover`. */
export function recoverReportJson(report: RecoverReport): Record<string, unknown> {
  return {
    results: report.results,
    needsReview: report.needsReview.map((e) => ({ id: e.id, begunAt: e.begunAt, request: e.request, reason: e.recovery?.reason })),
    undelivered: report.undelivered.map((d) => ({ ...d.result, source: d.source, repeated: d.repeated, ...(d.status ? { status: d.status } : {}) })),
    ...(report.acknowledged ? { acknowledged: report.acknowledged } : {}),
  };
}

/** The result a recovered sale stands for, for the exit code: approved and not reversed = charged. */
export function chargedBy(result: RecoveryResult): boolean {
  return result.outcome === 'approved' && result.reversal?.state !== 'done';
}
