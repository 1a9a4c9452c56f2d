/** Small statistics and timing helpers shared by the benchmarks. */

function sorted(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = sorted(values);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = sorted(values);
  const rank = Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length)));
  return s[rank - 1];
}

/** Milliseconds since an arbitrary origin, sub-microsecond resolution. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Microseconds per call of a synchronous function, over `iterations` calls. */
export function timeSync(fn: () => unknown, iterations: number): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - start) / 1e3 / iterations;
}

export interface Paired {
  subject: number;
  baseline: number;
}

export interface Comparison {
  /** Median of the subject's per-round values. */
  subject: number;
  /** Median of the baseline's per-round values. */
  baseline: number;
  /** Median of the per-round ratios subject / baseline (robust to drift between rounds). */
  ratio: number;
  rounds: Paired[];
}

/**
 * Runs subject and baseline in alternating rounds (A/B, then B/A, ...) so that drift on a
 * shared machine hits both alike; each call returns one number for its round.
 */
export async function interleave(
  rounds: number,
  subject: () => Promise<number> | number,
  baseline: () => Promise<number> | number,
): Promise<Comparison> {
  const results: Paired[] = [];
  for (let round = 0; round < rounds; round++) {
    let s: number;
    let b: number;
    if (round % 2 === 0) {
      s = await subject();
      b = await baseline();
    } else {
      b = await baseline();
      s = await subject();
    }
    results.push({ subject: s, baseline: b });
  }
  return compare(results);
}

export type Metrics<K extends string> = Record<K, number>;

/**
 * Like interleave(), for rounds that measure several metrics at once, of a subject
 * (sides[0]) and one or more baselines; the order rotates from round to round so drift
 * hits every side alike. Per baseline, one Comparison per metric.
 */
export async function interleaveSides<K extends string>(
  rounds: number,
  keys: readonly K[],
  sides: readonly (() => Promise<Metrics<K>>)[],
): Promise<Record<K, Comparison>[]> {
  const measured: Metrics<K>[][] = sides.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < sides.length; k++) {
      const i = (k + round) % sides.length;
      measured[i].push(await sides[i]());
    }
  }
  const [s, ...baselines] = measured;
  return baselines.map((b) => {
    const out = {} as Record<K, Comparison>;
    for (const key of keys) out[key] = compare(s.map((m, i) => ({ subject: m[key], baseline: b[i][key] })));
    return out;
  });
}

export function compare(rounds: Paired[]): Comparison {
  return {
    subject: median(rounds.map((r) => r.subject)),
    baseline: median(rounds.map((r) => r.baseline)),
    ratio: median(rounds.map((r) => r.subject / r.baseline)),
    rounds,
  };
}

/** True when every number is finite (the smoke test's notion of well-formed). */
export function allFinite(values: readonly number[]): boolean {
  return values.every((v) => typeof v === 'number' && Number.isFinite(v));
}
