/**
 * jpay-report and jpay-settlement inputs. The report type may come from the msg; a
 * settlement's operation never does: `clear` (which deletes the terminal's log) runs only
 * when the node itself is set to it and its confirmation is ticked.
 */
import { JpayValidationError } from '../errors';
import type { ReportType } from '../protocol/types';

export function resolveReportType(msgReportType: unknown, configured: string | undefined): ReportType {
  if (msgReportType !== undefined && msgReportType !== null && msgReportType !== '') {
    if (msgReportType !== 'brief' && msgReportType !== 'full') throw new JpayValidationError('msg.reportType', 'must be "brief" or "full"');
    return msgReportType;
  }
  if (configured === 'full') return 'full';
  if (configured === undefined || configured === '' || configured === 'brief') return 'brief';
  throw new JpayValidationError('reportType', 'must be "brief" or "full"');
}

export type SettlementOperation = 'settlement' | 'clear';

export interface SettlementConfig {
  operation?: string;
  /** Must be true for `clear`. */
  confirmClear?: boolean;
}

/** Checked when the node starts: a clear without its confirmation is a configuration error. */
export function resolveSettlementOperation(config: SettlementConfig): SettlementOperation {
  const op = config.operation === undefined || config.operation === '' ? 'settlement' : config.operation;
  if (op !== 'settlement' && op !== 'clear') throw new JpayValidationError('operation', 'must be "settlement" or "clear"');
  if (op === 'clear' && config.confirmClear !== true) {
    throw new JpayValidationError('confirmClear', 'clear deletes the terminal\'s transaction log: tick the confirmation to allow it');
  }
  return op;
}
