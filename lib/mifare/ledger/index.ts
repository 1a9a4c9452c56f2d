// The shadow ledger: per card UID, the last committed state, against rollback (docs/loyalty-card.md).
export { ShadowLedger, type RecordOptions, type ShadowLedgerOptions } from './ledger';
export { type CardRecord, type LedgerEntry, type OwedChange, type OwedRecord, cardRecordOf } from './entry';
export {
  LEDGER_COUNTER_MODULO,
  UNKNOWN_CARD_POLICIES,
  type JudgePolicy,
  type LedgerVerdict,
  type MergeResult,
  type RemoteRecord,
  type RollbackReason,
  type UnknownCardPolicy,
  judge,
  ledgerDistance,
  merge,
} from './rules';
export { type LedgerTransport, mqttClientTransport, topicMatches } from './transport';
export { decodeWire, encodeWire, type WireResult } from './wire';
