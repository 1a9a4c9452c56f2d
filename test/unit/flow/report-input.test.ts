import assert from 'node:assert/strict';
import { JpayValidationError } from '../../../lib/errors';
import { resolveReportType, resolveSettlementOperation } from '../../../nodes/shared/report-input';

describe('flow/report-input', () => {
  it('resolves the report type from the msg or the node', () => {
    assert.equal(resolveReportType(undefined, 'full'), 'full');
    assert.equal(resolveReportType('brief', 'full'), 'brief');
    assert.equal(resolveReportType(undefined, undefined), 'brief');
    assert.throws(() => resolveReportType('long', 'brief'), (e: unknown) => e instanceof JpayValidationError && e.field === 'msg.reportType');
  });

  it('allows clear only with its confirmation', () => {
    assert.equal(resolveSettlementOperation({}), 'settlement');
    assert.equal(resolveSettlementOperation({ operation: 'clear', confirmClear: true }), 'clear');
    assert.throws(() => resolveSettlementOperation({ operation: 'clear' }), (e: unknown) => e instanceof JpayValidationError && e.field === 'confirmClear');
    assert.throws(() => resolveSettlementOperation({ operation: 'wipe' }), JpayValidationError);
  });
});
