/**
 * Fault injection. A fault is queued for a command (default `transaction`, `*` = any)
 * and hits the next `times` commands it applies to. Where each kind strikes:
 * - drop-before-record: the connection is closed just before the command's effect is
 *   recorded (transaction, settlement, clear) — or before any answer, for other commands;
 *   the log proves nothing happened.
 * - drop-after-record: closed after the effect is recorded, before the response.
 * - delay-response (ms) / stall: the response is held for ms / forever (until the client
 *   or the simulator closes the connection).
 * - garbage-frame / oversized-frame / half-frame: a broken response instead of the real one.
 * - host-unreachable: this command sees the bank host down.
 * - card-removed: the card leaves the field during processing (MIFARE: after `open`).
 */
import type { FaultSpec } from './options';
import type { FaultKind } from './outcome';

export interface QueuedFault {
  kind: FaultKind;
  command: string;
  remaining: number;
  ms?: number;
}

export class FaultQueue {
  private faults: QueuedFault[] = [];

  add(spec: FaultSpec): void {
    this.faults.push({ kind: spec.kind, command: spec.command ?? 'transaction', remaining: spec.times ?? 1, ms: spec.ms });
  }

  list(): QueuedFault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  clear(): void {
    this.faults = [];
  }

  /** Takes one use of the first queued fault of `kind` that applies to `command`. */
  take(kind: FaultKind, command: string): QueuedFault | undefined {
    const index = this.faults.findIndex((f) => f.kind === kind && (f.command === '*' || f.command === command));
    if (index < 0) return undefined;
    const fault = this.faults[index];
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults.splice(index, 1);
    return { ...fault };
  }
}

/** Faults one command carries: its own (from a magic amount or outcome) first, then the queue. */
export class CommandFaults {
  private readonly local = new Set<FaultKind>();

  constructor(
    private readonly queue: FaultQueue,
    readonly command: string,
  ) {}

  addLocal(kind: FaultKind): void {
    this.local.add(kind);
  }

  take(kind: FaultKind): { kind: FaultKind; ms?: number } | undefined {
    if (this.local.delete(kind)) return { kind };
    return this.queue.take(kind, this.command);
  }
}
