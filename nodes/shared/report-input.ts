/**
 * jpay-report and jpay-settlement inputs. The report type may come from the msg; a
 * settlement's operation never does: `clear` (which deletes the terminal's log) runs only
 * when the node itself is set to it and its confirmation is ticked.
 */
import { JpayValidationError } from '../../lib/errors';
import type { ReportType } from '../../lib/protocol/types';
import { validateFields } from '../../lib/protocol/validation';

/** msg.reportType, else the node's setting, else brief; the rule is the protocol's. */
export function resolveReportType(msgReportType: unknown, configured: string | undefined): ReportType {
  const fromMsg = msgReportType !== undefined && msgReportType !== null && msgReportType !== '';
  const reportType = fromMsg ? msgReportType : configured === undefined || configured === '' ? 'brief' : configured;
  validateFields('report', { reportType }, fromMsg ? (field) => `msg.${field}` : undefined);
  return reportType as ReportType;
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
