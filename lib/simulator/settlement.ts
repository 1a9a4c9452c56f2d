/**
 * report (§8.11), settlement (§8.12) and clear (§8.13). All three take the admin
 * password. Settlement compares the terminal's total with the host's; a mismatch means a
 * batch upload (configurable result). After a passed settlement the log is emptied;
 * clear empties it unconditionally (and the cutover reports the host's state).
 */
import type { RequestParams, SReport } from '../protocol/types';
import type { Answer, CommandContext } from './context';
import { hostDown, HOST_UNREACHABLE, unreachableHost } from './host';
import { isoLocal, newAuthNumber, newRrn } from './ids';
import { recordPoint } from './records';
import type { Terminal } from './terminal';
import { approvedRecords, buildXReport, grandTotals } from './reports';

export async function handleReport(ctx: CommandContext, params: RequestParams['report']): Promise<Answer<'report'>> {
  const t = ctx.terminal;
  if (!t.log.checkPassword(params.password)) return { status: 'notauthorized' };
  return { status: 'ok', report: buildXReport(t, params.reportType === 'full') };
}

/** What the settlement's and the clear's reports both carry: the response, its ids, the totals, the time, the terminal (passed unless told otherwise). */
function sReport(t: Terminal, now: Date, respCode: string, terminalTotal: number, hostTotal: number): SReport {
  const { tid, mid } = t.config.terminal;
  return { respCode, approvalNumber: newAuthNumber(), rrn: newRrn(now), terminalTotal, hostTotal, datetime: isoLocal(now), tid, mid, passed: true };
}

/** Effects are applied here, where the drop faults strike. */
async function emptyLog(ctx: CommandContext): Promise<void> {
  recordPoint(ctx);
  await ctx.terminal.log.empty();
}

export async function handleSettlement(ctx: CommandContext, params: RequestParams['settlement']): Promise<Answer<'settlement'>> {
  const t = ctx.terminal;
  if (!t.log.checkPassword(params.password)) return { status: 'notauthorized' };
  const unreachable = await unreachableHost(ctx);
  if (unreachable) return unreachable;
  const records = t.log.list();
  const approved = approvedRecords(records);
  const now = t.now();
  const terminalTotal = grandTotals(records).totalSum;
  const cfg = t.config.settlement;
  const mismatch = cfg.hostDifference !== 0;
  const uploadFailed = mismatch && cfg.batchUpload === 'failed';
  // A passed batch upload brings the host into agreement with the terminal.
  const hostTotal = uploadFailed ? terminalTotal + cfg.hostDifference : terminalTotal;
  const report: SReport = {
    ...sReport(t, now, mismatch ? '095' : '000', terminalTotal, hostTotal),
    currency: t.config.terminal.currency,
    transactionCount: approved.length,
    passed: !uploadFailed,
  };
  if (records.length > 0) {
    report.from = records[0].datetime;
    report.to = records[records.length - 1].datetime;
  }
  if (mismatch) {
    report.batchUpload = cfg.batchUpload;
    report.artRespCode = uploadFailed ? '96' : '00';
  }
  if (uploadFailed) {
    report.settlementResult = 'failed';
    return { status: 'batchuploadfailed', report, errors: ['batch upload failed'] };
  }
  if (cfg.cutover) {
    report.covRespCode = '00';
    report.covRrn = newRrn(now);
  }
  report.settlementResult = 'passed';
  await emptyLog(ctx);
  return { status: 'ok', report };
}

export async function handleClear(ctx: CommandContext, params: RequestParams['clear']): Promise<Answer<'clear'>> {
  const t = ctx.terminal;
  if (!t.log.checkPassword(params.password)) return { status: 'notauthorized' };
  const now = t.now();
  const total = grandTotals(t.log.list()).totalSum;
  await emptyLog(ctx);
  const report = sReport(t, now, '000', total, total);
  if (hostDown(ctx)) {
    // The log is gone either way; only the cutover failed.
    return { status: 'communicationerror', errors: [HOST_UNREACHABLE, 'cutover failed; the local log was cleared'] };
  }
  return { status: 'ok', report };
}
