/** The one table `npm run bench` prints, and the rows the JSON file carries. */

export interface Row {
  measurement: string;
  subject: string;
  baseline: string;
  /** subject / baseline (or the difference, for added latency), as printed. */
  ratio: string;
  target: string;
  /** undefined: no target (reported for information). */
  pass?: boolean;
}

export function formatTable(rows: readonly Row[]): string {
  const header = ['measurement', 'subject', 'baseline', 'ratio', 'target', 'result'];
  const cells = rows.map((r) => [r.measurement, r.subject, r.baseline, r.ratio, r.target, r.pass === undefined ? 'info' : r.pass ? 'pass' : 'FAIL']);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]): string => c.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

export function us(value: number): string {
  if (value >= 10_000) return `${(value / 1000).toFixed(1)} ms`;
  if (value >= 100) return `${value.toFixed(0)} µs`;
  return `${value.toFixed(1)} µs`;
}

export function ms(value: number): string {
  return `${value.toFixed(value >= 100 ? 0 : 2)} ms`;
}

/** Milliseconds added (or saved), always signed: `+1.39 ms`, `-0.85 ms`. */
export function added(value: number): string {
  return `${value >= 0 ? '+' : ''}${ms(value)}`;
}

export function bytes(value: number): string {
  if (Math.abs(value) >= 2 ** 20) return `${(value / 2 ** 20).toFixed(1)} MiB`;
  return `${(value / 1024).toFixed(1)} KiB`;
}

export function times(ratio: number): string {
  return `${ratio.toFixed(2)}×`;
}
