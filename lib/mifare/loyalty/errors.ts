// Why the loyalty library refused to plan a write. A JpayValidationError, so callers that
// already handle "input refused before a byte was sent" keep working; `code` names the rule.

import { JpayValidationError } from '../../errors';

export type LoyaltyErrorCode =
  | 'invalid-amount'
  | 'invalid-member-id'
  | 'no-such-purse'
  | 'overdraft'
  | 'insufficient-points'
  | 'overflow'
  | 'foreign-program'
  | 'blank-card'
  | 'foreign-card'
  | 'corrupted-card'
  | 'tampered-card'
  | 'rollback'
  | 'unknown-card'
  | 'unknown-card-limit'
  | 'ledger-unavailable'
  | 'card-not-blank'
  | 'card-unreadable'
  | 'card-removed'
  | 'verify-mismatch';

export class LoyaltyError extends JpayValidationError {
  constructor(readonly code: LoyaltyErrorCode, field: string, detail: string) {
    super(field, `${code}: ${detail}`);
  }
}
