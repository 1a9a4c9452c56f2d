// MIFARE Classic loyalty / stored-value card layout v1 (docs/loyalty-card.md).

export { crc16 } from './crc';
export { LoyaltyError, type LoyaltyErrorCode } from './errors';
export {
  DEFAULT_SECTOR,
  LAYOUT_VERSION,
  MAX_MEMBER_ID,
  MAX_PROGRAM_ID,
  PURSES,
  type LoyaltyLayout,
  type LoyaltyLayoutOptions,
  type Purse,
  defineLayout,
  planRead,
} from './layout';
export { MAGIC, type Header, decodeHeader, encodeHeader } from './header';
export { COUNTER_MODULO, type SlotRecord, type SlotStatus } from './record';
export { type CorruptedReason, type DecodedCard, type ForeignReason, type LoyaltyState, type OkCard, decodeCard, sameState } from './decode';
export {
  type IssueRequest,
  type LoyaltyOperation,
  type LoyaltyPlan,
  type LoyaltyWrite,
  type NormalizedOperation,
  type WritePhase,
  normalizeOperation,
  planIssue,
  planOperation,
  planRepair,
  requireOkCard,
} from './plan';
export {
  type CardReadResult,
  type CardWriteResult,
  type DialogueOptions,
  type LoyaltyCardIo,
  type LoyaltyOutcome,
  type LoyaltyOutcomeStatus,
  runLoyaltyDialogue,
  runLoyaltyIssue,
  settleUncertain,
} from './dialogue';
