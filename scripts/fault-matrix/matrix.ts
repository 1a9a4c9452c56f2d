/**
 * The whole matrix: every session × every phase × every fault that applies to it, cells run
 * side by side, and its table. Encrypted sessions leave out the display phase (the proxy
 * cannot read an encrypted display code) and `contradict` (it cannot write inside the
 * encryption: that is `garbage`); plain sessions leave out `inject-plain` (without
 * encryption a forged answer cannot be told from the terminal's: the reason to encrypt).
 */
import { runCell, type CellStats, type Session } from './cell';
import { FAULTS, PHASES, type Fault, type Phase } from './proxy';

export const SESSIONS: readonly Session[] = ['plain', 'encrypted'];

export function applies(session: Session, phase: Phase, fault: Fault): boolean {
  if (session === 'encrypted') return phase !== 'display' && fault !== 'contradict';
  return fault !== 'inject-plain';
}

export interface MatrixOptions {
  runs: number;
  seed?: number;
  /** Cells run at the same time (default 8). */
  concurrency?: number;
  sessions?: readonly Session[];
  phases?: readonly Phase[];
  faults?: readonly Fault[];
  onCell?(stats: CellStats): void;
}

/** The cells a matrix runs, in table order. */
export function cellsOf(options: Pick<MatrixOptions, 'sessions' | 'phases' | 'faults'> = {}): { session: Session; phase: Phase; fault: Fault }[] {
  const out: { session: Session; phase: Phase; fault: Fault }[] = [];
  for (const session of options.sessions ?? SESSIONS) {
    for (const phase of options.phases ?? PHASES) {
      for (const fault of options.faults ?? FAULTS) if (applies(session, phase, fault)) out.push({ session, phase, fault });
    }
  }
  return out;
}

export interface MatrixTotals {
  cells: number;
  runs: number;
  struck: number;
  answered: number;
  notSent: number;
  unknown: number;
  resolvedCorrectly: number;
  recoveredApproved: number;
  ambiguous: number;
  wrong: number;
  doubleCharges: number;
  silentLosses: number;
  reversed: number;
  unreversed: number;
  blocked: number;
  leftUnresolved: number;
}

export const PHASE_LABEL: Readonly<Record<Phase, string>> = {
  'before-send': 'before send',
  'after-send': 'after send',
  keepalive: 'during keepalive',
  display: 'during display (D4)',
  dex: 'during dex message',
  'after-record': 'after the terminal recorded it',
  response: 'during the response',
};

export async function runMatrix(options: MatrixOptions): Promise<CellStats[]> {
  const seed = options.seed ?? 1;
  const jobs = cellsOf(options).map((cell) => ({
    ...cell,
    seed: seed * 10_000 + SESSIONS.indexOf(cell.session) * 1000 + PHASES.indexOf(cell.phase) * 10 + FAULTS.indexOf(cell.fault),
  }));
  const results: CellStats[] = new Array(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      const job = jobs[i];
      results[i] = await runCell({ ...job, runs: options.runs });
      options.onCell?.(results[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 8, jobs.length) }, worker));
  return results;
}

export function totals(cells: readonly CellStats[]): MatrixTotals {
  const t: MatrixTotals = {
    cells: cells.length,
    runs: 0,
    struck: 0,
    answered: 0,
    notSent: 0,
    unknown: 0,
    resolvedCorrectly: 0,
    recoveredApproved: 0,
    ambiguous: 0,
    wrong: 0,
    doubleCharges: 0,
    silentLosses: 0,
    reversed: 0,
    unreversed: 0,
    blocked: 0,
    leftUnresolved: 0,
  };
  for (const c of cells) {
    for (const key of Object.keys(t) as (keyof MatrixTotals)[]) {
      if (key !== 'cells') t[key] += c[key];
    }
  }
  return t;
}

/** Every promise the matrix makes, checked: the list of what broke (empty = all held). */
export function violations(cells: readonly CellStats[]): string[] {
  const out: string[] = [];
  for (const c of cells) {
    const where = `${c.session}: ${c.phase} × ${c.fault}`;
    if (c.doubleCharges) out.push(`${where}: ${c.doubleCharges} double charge(s)`);
    if (c.silentLosses) out.push(`${where}: ${c.silentLosses} silent loss(es)`);
    if (c.wrong) out.push(`${where}: ${c.wrong} result(s) contradict the log`);
    if (c.ambiguous) out.push(`${where}: ${c.ambiguous} unknown(s) left ambiguous`);
    if (c.unknown !== c.resolvedCorrectly) {
      out.push(`${where}: ${c.unknown - c.resolvedCorrectly} unknown(s) not resolved correctly`);
    }
    if (c.unreversed) out.push(`${where}: ${c.unreversed} vending payment(s) not reversed`);
    if (c.blocked) out.push(`${where}: ${c.blocked} sale(s) blocked by an unresolved entry`);
    if (c.leftUnresolved) out.push(`${where}: ${c.leftUnresolved} journal entries left unresolved`);
    if (c.struck === 0 && c.runs > 0) out.push(`${where}: the fault never struck`);
    for (const p of c.problems) out.push(`${where}: ${p}`);
  }
  return [...new Set(out)];
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/** Markdown: one row per cell (phase × fault), and a totals row. */
export function formatTable(cells: readonly CellStats[]): string {
  const head = ['session', 'phase', 'fault', 'runs', 'struck', 'answered', 'not sent', 'unknown', 'resolved ✓', '…approved', 'ambiguous', 'wrong', 'double charges', 'silent losses', 'reversed (vending)'];
  const rows = cells.map((c) => [
    c.session,
    PHASE_LABEL[c.phase],
    c.fault,
    c.runs,
    c.struck,
    c.answered,
    c.notSent,
    c.unknown,
    c.resolvedCorrectly,
    c.recoveredApproved,
    c.ambiguous,
    c.wrong,
    c.doubleCharges,
    c.silentLosses,
    c.reversed,
  ].map(String));
  const t = totals(cells);
  rows.push(['**total**', '', '', t.runs, t.struck, t.answered, t.notSent, t.unknown, t.resolvedCorrectly, t.recoveredApproved, t.ambiguous, t.wrong, t.doubleCharges, t.silentLosses, t.reversed].map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cols: string[]): string => `| ${cols.map((c, i) => pad(c, widths[i])).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
