// Human-readable summaries of the terminal's answers (stdout without --json).

import { JpayTimeoutError, REFUSAL_CODES, type TimeoutPhase, TransactionOutcomeUnknown } from '../../errors';
import { describeStatus, parseStatus } from '../../protocol/status';
import { maskPan } from '../../protocol/secret';
import type {
  OperationTotals,
  Receipt,
  ResponseBase,
  ResponseTypes,
  SReport,
  TerminalParameters,
  TransactionRequest,
  XReport,
} from '../../protocol/types';
import { formatMinor } from './amount';
import type { Invocation } from './commands';

const CURRENCIES: Readonly<Record<string, string>> = {
  '643': 'RUB',
  '840': 'USD',
  '978': 'EUR',
  '933': 'BYN',
  '398': 'KZT',
  '051': 'AMD',
  '417': 'KGS',
  '860': 'UZS',
};

export function money(minor: number | undefined, currency?: string): string | undefined {
  if (minor === undefined) return undefined;
  const cur = currency === undefined ? '' : ` ${Object.hasOwn(CURRENCIES, currency) ? CURRENCIES[currency] : currency}`;
  return `${formatMinor(minor)}${cur}`;
}

type Row = readonly [string, string | number | undefined];

function rows(list: readonly Row[]): string[] {
  const present = list.filter(([, v]) => v !== undefined && v !== '') as [string, string | number][];
  const width = Math.max(0, ...present.map(([k]) => k.length));
  return present.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`);
}

function statusText(raw: string): string {
  const s = parseStatus(raw);
  return `${s.raw || '(none)'} (${describeStatus(s.code)})`;
}

function errorLines(response: ResponseBase): string[] {
  return response.errors.map((e) => `  error: ${e}`);
}

/** A PAN from a receipt is masked by the terminal; mask again in case one arrives in full. */
function safePan(pan: string | undefined): string | undefined {
  if (pan === undefined) return undefined;
  return /^\d{12,19}$/.test(pan.replace(/\s+/g, '')) ? maskPan(pan) : pan;
}

/** The terminal's currency when the request names none (the protocol's default). */
const DEFAULT_CURRENCY = '643';

/**
 * What is about to be charged, printed before the terminal asks for the card, so a person
 * sees `15000.00 RUB` before a card is tapped for what they meant as 150.00.
 */
export function announceTransaction(request: TransactionRequest): string {
  const line = requestLine({ ...request, currency: request.currency ?? DEFAULT_CURRENCY });
  return `[request] ${line}${request.currency === undefined && request.amount !== undefined ? " (the terminal's default currency)" : ''}`;
}

/** The request in one line; with a result, the amount is the one the receipt authorized. */
function requestLine(request: TransactionRequest, result?: ResponseTypes['transaction']): string {
  const parts: string[] = [request.type];
  if (request.number !== undefined) parts.push(`#${request.number}`);
  const amount = money(result?.authorizedAmount ?? result?.receipt?.amountAuthorized ?? request.amount, request.currency);
  if (amount !== undefined) parts.push(amount);
  if (request.amountOther !== undefined) parts.push(`cashback ${money(request.amountOther, request.currency)}`);
  if (request.sbp === true) parts.push('(SBP)');
  if (request.manual !== undefined) parts.push(`card ${maskPan(request.manual.pan)}`);
  return parts.join(' ');
}

function receiptRows(r: Receipt): string[] {
  return rows([
    ['receipt', r.seq],
    ['type', r.type],
    ['status', r.tstatus ?? r.paymentStatus],
    ['amount', money(r.amountAuthorized, r.currency)],
    ['cashback', money(r.amountOther, r.currency)],
    ['card', [safePan(r.pan), r.applicationName].filter((x) => x !== undefined).join('  ') || undefined],
    ['payment', r.iface === 'sbp' ? 'SBP (Faster Payments)' : r.iface],
    ['rrn', r.rrn],
    ['auth code', r.authNumber],
    ['response', [r.respCode, r.respCodeDescription].filter((x) => x !== undefined).join(' ') || undefined],
    ['decline reason', r.declineReason],
    ['date', r.datetime?.replace('T', ' ')],
    ['terminal', [r.tid && `TID ${r.tid}`, r.mid && `MID ${r.mid}`].filter(Boolean).join('  ') || undefined],
    ['bank', r.bankName],
    ['sbp qrcId', r.cft?.qrcId],
    ['sbp localQrcId', r.cft?.localQrcId],
    ['sbp status', r.cft?.mpiOperationStatusDescriptionEng],
  ]);
}

export function formatTransaction(request: TransactionRequest, r: ResponseTypes['transaction']): string {
  // The client decided: an answer that contradicts itself is an unknown outcome, never here.
  const verdict = r.approved ? 'APPROVED' : 'DECLINED';
  const lines = [`${verdict}  ${requestLine(request, r)}`];
  if (r.amountMismatch && r.requestedAmount !== undefined && r.authorizedAmount !== undefined) {
    const currency = r.receipt?.currency ?? request.currency;
    lines.push(`  WARNING: the terminal authorized ${money(r.authorizedAmount, currency)}, not the ${money(r.requestedAmount, currency)} requested`);
  }
  if (!r.ok) lines.push(`  terminal status  ${statusText(r.status)}`);
  if (r.receipt !== undefined) lines.push(...receiptRows(r.receipt));
  else if (r.ok) lines.push('  (no receipt)');
  lines.push(...errorLines(r));
  return lines.join('\n');
}

function totalsLine(label: string, t: OperationTotals, currency?: string): string {
  const pair = (name: string, p: { count: number; sum: number }): string | undefined =>
    p.count === 0 && p.sum === 0 ? undefined : `${name} ${p.count} / ${money(p.sum, currency)}`;
  const parts = [
    pair('purchase', t.purchase),
    pair('refund', t.refund),
    pair('cashback', t.purchaseWithCashback),
    pair('purchase reversal', t.purchaseReversal),
    pair('refund reversal', t.refundReversal),
  ].filter((x) => x !== undefined);
  return `  ${label}: total ${t.totalCount} / ${money(t.totalSum, currency)}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

export function formatXReport(report: XReport, full: boolean): string {
  const h = report.header;
  const cur = h.currency;
  const lines = [`X-REPORT${h.tid ? `  TID ${h.tid}` : ''}${h.mid ? `  MID ${h.mid}` : ''}${h.time ? `  ${h.time.replace('T', ' ')}` : ''}`];
  for (const t of h.title) lines.push(`  ${t}`);
  if (full) {
    lines.push(`Transactions: ${report.transactions.length}`);
    for (const t of report.transactions) {
      const cells = [
        t.seq ?? '',
        t.type ?? '',
        money(t.amount, t.currency ?? cur) ?? '',
        t.status ?? '',
        t.state ?? '',
        t.rrn ? `rrn ${t.rrn}` : '',
        safePan(t.pan) ?? '',
        t.time?.replace('T', ' ') ?? '',
      ];
      lines.push(`  ${cells.filter((c) => c !== '').join('  ')}`);
    }
  }
  if (report.totals.length > 0) lines.push('Totals by card type:');
  for (const c of report.totals) lines.push(totalsLine(`${c.name || c.rid}${c.rid ? ` (${c.rid})` : ''}`, c, cur));
  if (report.grandTotals !== undefined) lines.push('Grand totals:', totalsLine('all cards', report.grandTotals, cur));
  return lines.join('\n');
}

export function formatSReport(title: string, report: SReport): string {
  const result = report.settlementResult ?? (report.passed ? 'passed' : undefined);
  return [
    `${title}${result ? `: ${result.toUpperCase()}` : ''}`,
    ...rows([
      ['terminal total', money(report.terminalTotal, report.currency)],
      ['host total', money(report.hostTotal, report.currency)],
      ['transactions', report.transactionCount],
      ['from', report.from],
      ['to', report.to],
      ['date', report.datetime?.replace('T', ' ')],
      ['rrn', report.rrn],
      ['approval', report.approvalNumber],
      ['response', report.respCode],
      ['batch upload', report.batchUpload],
      ['cutover', [report.covRespCode, report.covRrn && `rrn ${report.covRrn}`].filter(Boolean).join(' ') || undefined],
      ['terminal', [report.tid && `TID ${report.tid}`, report.mid && `MID ${report.mid}`].filter(Boolean).join('  ') || undefined],
    ]),
  ].join('\n');
}

function formatParameters(p: TerminalParameters): string {
  return ['Terminal parameters:', ...rows(Object.entries(p).map(([k, v]) => [k, typeof v === 'string' ? v : undefined]))].join(
    '\n',
  );
}

const DONE: Readonly<Record<string, string>> = {
  login: 'logged in (the session token is not shown)',
  logout: 'logged out',
  testconnection: 'connection to the bank host: ok',
  updateconfiguration: 'configuration updated',
  changepassword: 'password changed',
  resetpassword: 'password reset to the factory default',
  sethostkey: 'host key installed',
  runreset: 'terminal reinitialised',
  loadworkkeys: 'work keys loaded',
  loadmasterkeys: 'master keys loaded',
};

/** The summary printed on stdout for an answer from the terminal. */
export function formatResponse(cli: string, invocation: Invocation, response: ResponseBase): string {
  if (invocation.command === 'transaction') {
    return formatTransaction(invocation.params, response as ResponseTypes['transaction']);
  }
  if (!response.ok) {
    return [`${cli}: FAILED, terminal status ${statusText(response.status)}`, ...errorLines(response)].join('\n');
  }
  switch (invocation.command) {
    case 'report': {
      const report = (response as ResponseTypes['report']).report;
      return report ? formatXReport(report, invocation.params.reportType === 'full') : 'X-REPORT: (empty)';
    }
    case 'settlement':
    case 'clear': {
      const report = (response as ResponseTypes['settlement']).report;
      const title = invocation.command === 'settlement' ? 'SETTLEMENT' : 'CLEAR';
      return report ? formatSReport(title, report) : `${title}: ok`;
    }
    case 'getparameters': {
      const p = (response as ResponseTypes['getparameters']).parameters;
      return p ? formatParameters(p) : 'Terminal parameters: (none)';
    }
    case 'loadworkkeys': {
      const r = (response as ResponseTypes['loadworkkeys']).receipt;
      return [DONE.loadworkkeys, ...rows([['mac change rrn', r?.macChangeRrn], ['net change rrn', r?.netChangeRrn]])].join('\n');
    }
    case 'loadmasterkeys': {
      const r = (response as ResponseTypes['loadmasterkeys']).receipt;
      return [DONE.loadmasterkeys, ...rows([['PIN key KCV', r?.pinKcv], ['MAC key KCV', r?.macKcv]])].join('\n');
    }
    default:
      return DONE[invocation.command] ?? `${cli}: ok`;
  }
}

/** An answer came and could not be believed (a copy, an injection, a contradiction); a flood is not an answer. */
function answerRefused(error: unknown): error is TransactionOutcomeUnknown {
  return error instanceof TransactionOutcomeUnknown && error.reason !== 'queue-overflow' && (REFUSAL_CODES as readonly string[]).includes(error.reason);
}

/** The flag that sets each limit a timeout can name. */
const LIMIT_FLAGS: Partial<Record<TimeoutPhase, string>> = { idle: '--idle-timeout S', command: '--timeout S', transaction: '--timeout S' };

/** ` (set with --idle-timeout S)` when the error (or what it wraps) is a timeout a flag sets. */
function limitHint(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 3; depth++) {
    if (current instanceof JpayTimeoutError) {
      const flag = LIMIT_FLAGS[current.phase];
      return flag === undefined ? '' : ` (set with ${flag})`;
    }
    current = current.cause;
  }
  return '';
}

export interface ErrorReport {
  /** The result line(s) for stdout, when the error is itself the answer (unknown outcome, a status). */
  stdout?: string;
  /** Diagnostics for stderr. */
  stderr: string;
}

/** How an error is told to a person. `redact` scrubs secrets from library messages. */
export function formatError(
  cli: string | undefined,
  invocation: Invocation | undefined,
  error: unknown,
  kind: string,
  redact: (s: string) => string,
): ErrorReport {
  const message = redact(error instanceof Error ? error.message : String(error)) + limitHint(error);
  const who = cli ? `jpay ${cli}` : 'jpay';
  switch (kind) {
    case 'usage':
      return { stderr: `${who}: ${message}\nSee: ${cli ? `jpay ${cli} --help` : 'jpay --help'}` };
    case 'unknown': {
      const what = invocation?.command === 'transaction' ? requestLine(invocation.params) : (cli ?? 'command');
      const why = answerRefused(error)
        ? `  The transaction was sent and its answer was refused (${error.reason}): the card MAY have been charged.`
        : '  The transaction was sent but its answer did not arrive: the card MAY have been charged.';
      return {
        stdout: [
          `OUTCOME UNKNOWN  ${what}`,
          why,
          '  Do not simply repeat it. Check what happened with:  jpay report --full',
          '  and reverse it if needed with:                      jpay void --number last',
        ].join('\n'),
        stderr: `${who}: outcome UNKNOWN: ${message}`,
      };
    }
    case 'failed':
      return { stdout: `${cli ?? 'jpay'}: FAILED, ${message}`, stderr: `${who}: ${message}` };
    default: {
      const note = invocation?.command === 'transaction' ? '\nThe transaction was not sent: nothing was charged.' : '';
      return { stderr: `${who}: ${message}${note}` };
    }
  }
}
