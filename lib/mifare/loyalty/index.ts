// MIFARE Classic loyalty / stored-value card layouts v1 and v2 (docs/loyalty-card.md).

export { crc16 } from './crc';
export { LoyaltyError, type LoyaltyErrorCode } from './errors';
export {
  DEFAULT_SECTOR,
  LAYOUT_VERSIONS,
  type LayoutVersion,
  MAX_MEMBER_ID,
  MAX_PROGRAM_ID,
  PURSES,
  type LoyaltyLayout,
  type LoyaltyLayoutOptions,
  type Purse,
  dataBlocks,
  defineLayout,
  planRead,
} from './layout';
export { LoyaltyKeyring, MAX_KEY_ID, MIN_KEY_ID, type ProgramKey, keyBytes, parseKeyList } from './keys';
export { MAGIC, type Header, canonicalHeader, decodeHeader, encodeHeader } from './header';
export { COUNTER_MODULO, type SlotRecord, type SlotStatus, counterDistance } from './record';
export { MAC_BYTES, V2_COUNTER_MODULO, type CardBinding, type V2Record, type V2SlotStatus, decodeSlotV2, encodeSlotV2 } from './record-v2';
export {
  type CardFormat,
  type CorruptedReason,
  type DecodedCard,
  type ForeignReason,
  type LoyaltyState,
  type OkCard,
  type TamperReason,
  decodeCard,
  sameState,
} from './decode';
export * from './plan';
export * from './card-session';
