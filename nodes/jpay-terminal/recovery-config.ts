/**
 * The jpay-terminal editor's recovery fields → the settings of its outcome-unknown
 * recovery. Knows nothing of Node-RED. A config node saved before these fields existed
 * has recovery off (no journal), as before.
 */
import path from 'node:path';
import { JpayValidationError } from '../../lib/errors';
import { DEFAULT_SETTLE_MS, type PendingPolicy } from '../../lib/recovery/types';

/** As Node-RED stores them. */
export interface RecoveryConfigFields {
  /** 'off' | 'warn' | 'block' */
  recovery?: string;
  /** Journal path; empty = `<userDir>/jpay/journal-<config node id>.jsonl`. */
  journalFile?: string;
  /** Recover on start and right after an unknown outcome (needs the password). */
  autoRecover?: boolean;
  /** ms to wait after a lost answer before the report is read. */
  recoveryDelay?: string | number;
}

export interface TerminalRecoveryConfig {
  policy: PendingPolicy;
  journalFile: string;
  autoRecover: boolean;
  settleMs: number;
}

const MAX_SETTLE_MS = 3_600_000;

/** undefined = recovery off. Throws JpayValidationError naming the field. */
export function parseRecoveryConfig(fields: RecoveryConfigFields, where: { nodeId: string; userDir?: string }): TerminalRecoveryConfig | undefined {
  const mode = fields.recovery === undefined || fields.recovery === '' ? 'off' : fields.recovery;
  if (mode === 'off') return undefined;
  if (mode !== 'warn' && mode !== 'block') throw new JpayValidationError('recovery', 'must be off, warn or block');
  let settleMs = DEFAULT_SETTLE_MS;
  const delay = fields.recoveryDelay;
  if (delay !== undefined && String(delay).trim() !== '') {
    const text = String(delay).trim();
    if (!/^\d+$/.test(text) || Number(text) > MAX_SETTLE_MS) throw new JpayValidationError('recoveryDelay', `must be a whole number of milliseconds, 0 to ${MAX_SETTLE_MS}`);
    settleMs = Number(text);
  }
  const given = typeof fields.journalFile === 'string' ? fields.journalFile.trim() : '';
  const base = where.userDir ?? process.cwd();
  const safeId = where.nodeId.replace(/[^A-Za-z0-9_.-]/g, '_');
  const journalFile = given === '' ? path.join(base, 'jpay', `journal-${safeId}.jsonl`) : path.resolve(base, given);
  return { policy: mode, journalFile, autoRecover: fields.autoRecover !== false, settleMs };
}
