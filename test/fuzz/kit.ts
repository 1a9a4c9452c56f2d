/**
 * The shared part of the fuzz suites (test/fuzz/*.test.ts, short) and the report script
 * (scripts/fuzz.ts, long): a target is a fast-check arbitrary plus a check that throws on a
 * broken invariant; running it counts inputs, the typed errors seen and the heap.
 */
import fc from 'fast-check';
import { JpayError, JpayProtocolError, JpayValidationError } from '../../lib/errors';

export interface FuzzStats {
  inputs: number;
  /** `JpayProtocolError:bad-xml` → how many inputs ended with it. */
  errors: Map<string, number>;
  /** Largest heapUsed sampled while the target ran (bytes). */
  maxHeapBytes: number;
  ms: number;
}

export interface FuzzTarget<T = unknown> {
  name: string;
  /** What the target feeds and what it proves, one line (the report prints it). */
  description: string;
  arbitrary: fc.Arbitrary<T>;
  /** Throws (an assertion) when an invariant breaks; records typed errors in `seen`. */
  check(input: T, seen: ErrorRecorder): void;
}

export type ErrorRecorder = (error: unknown) => void;

export function newStats(): FuzzStats {
  return { inputs: 0, errors: new Map(), maxHeapBytes: 0, ms: 0 };
}

/** `Class:code` (or `Class:field`) of a library error; anything else is a finding. */
export function errorKey(error: unknown): string {
  if (error instanceof JpayProtocolError) return `JpayProtocolError:${error.code}`;
  // The rule, not the field: fields name every element of every packet.
  if (error instanceof JpayValidationError) return `JpayValidationError:${error.rule.replace(/"[^"]*"/g, '"…"')}`;
  if (error instanceof JpayError) return error.name;
  return `UNTYPED ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
}

/** A non-library error thrown where only typed errors may come out: the finding, with its stack. */
export class UntypedError extends Error {
  constructor(where: string, error: unknown) {
    super(`${where} threw an untyped error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
}

/**
 * Runs `fn`; a returned value goes to `ok`, a thrown error must pass `allowed` (else the
 * check fails with the error itself) and is recorded.
 */
export function expectTyped<R>(where: string, fn: () => R, allowed: (e: unknown) => boolean, seen: ErrorRecorder, ok?: (r: R) => void): void {
  let result: R;
  try {
    result = fn();
  } catch (error) {
    if (!allowed(error)) {
      if (error instanceof JpayError) throw new Error(`${where}: unexpected ${errorKey(error)}: ${error.message}`, { cause: error });
      throw new UntypedError(where, error);
    }
    seen(error);
    return;
  }
  ok?.(result);
}

export const isProtocolError =
  (...codes: string[]) =>
  (e: unknown): boolean =>
    e instanceof JpayProtocolError && (codes.length === 0 || codes.includes(e.code));

export const isLibraryError = (e: unknown): boolean => e instanceof JpayError;

const HEAP_SAMPLE_EVERY = 500;

/** Runs `runs` inputs of the target (fast-check shrinks and throws on the first failure). */
export function runTarget<T>(target: FuzzTarget<T>, runs: number, seed?: number, stats = newStats()): FuzzStats {
  const started = Date.now();
  const seen: ErrorRecorder = (error) => {
    const key = errorKey(error);
    stats.errors.set(key, (stats.errors.get(key) ?? 0) + 1);
  };
  fc.assert(
    fc.property(target.arbitrary, (input) => {
      stats.inputs += 1;
      if (stats.inputs % HEAP_SAMPLE_EVERY === 0) stats.maxHeapBytes = Math.max(stats.maxHeapBytes, process.memoryUsage().heapUsed);
      target.check(input, seen);
    }),
    { numRuns: runs, ...(seed === undefined ? {} : { seed }) },
  );
  stats.maxHeapBytes = Math.max(stats.maxHeapBytes, process.memoryUsage().heapUsed);
  stats.ms += Date.now() - started;
  return stats;
}

// ---- Prototype pollution ----

type Snapshot = readonly (readonly [PropertyKey, unknown])[];

function snapshot(target: object): Snapshot {
  return Reflect.ownKeys(target).map((key) => [key, Object.getOwnPropertyDescriptor(target, key)?.value] as const);
}

const PROTOTYPES: readonly object[] = [Object.prototype, Array.prototype, String.prototype, Function.prototype];
const PRISTINE = PROTOTYPES.map(snapshot);

/** Throws when a built-in prototype gained, lost or changed a property since this module loaded. */
export function assertPrototypesIntact(where: string): void {
  PROTOTYPES.forEach((proto, i) => {
    const now = snapshot(proto);
    const before = PRISTINE[i];
    if (now.length !== before.length || now.some(([key, value], j) => before[j][0] !== key || before[j][1] !== value)) {
      throw new Error(`${where}: a built-in prototype was polluted (${now.map(([k]) => String(k)).join(',')})`);
    }
  });
}

/** A target with its input type erased, for lists of targets. */
export interface RunnableTarget {
  name: string;
  description: string;
  run(runs: number, seed?: number, stats?: FuzzStats): FuzzStats;
}

export function runnable<T>(target: FuzzTarget<T>): RunnableTarget {
  return { name: target.name, description: target.description, run: (runs, seed, stats) => runTarget(target, runs, seed, stats) };
}
