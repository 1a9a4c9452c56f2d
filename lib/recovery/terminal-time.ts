/**
 * The terminal's clock. Reports and receipts carry ISO local date-times with no zone, to
 * the second. A full report's header carries the terminal's time "now", so reading a report
 * also measures the offset between the terminal's local clock and the host's UTC clock:
 * host instant + offset = terminal local time (compared as if it were UTC).
 */
import type { XReport } from '../protocol/types';
import { localIsoToMs } from '../protocol/values';

export interface TerminalClock {
  /** Terminal local time (as UTC ms) minus host UTC ms. */
  offsetMs: number;
  /** False when the report had no header time and the host's own zone was assumed. */
  measured: boolean;
}

/** The offset measured from a report read at `readAtMs` (host clock). */
export function terminalClock(report: XReport, readAtMs: number): TerminalClock {
  const reported = localIsoToMs(report.header.time);
  if (reported !== undefined) return { offsetMs: reported - readAtMs, measured: true };
  return { offsetMs: -new Date(readAtMs).getTimezoneOffset() * 60_000, measured: false };
}
