/**
 * `@jpaykit/node-red-jpay/mifare`: MIFARE Classic building blocks (geometry, NXP value
 * blocks, sector trailers), the tear-proof loyalty / stored-value card layouts (version 2:
 * keyed MACs), the shadow ledger against rolled-back cards, and a
 * virtual card to test against (docs/loyalty-card.md).
 */
export * from '../mifare/loyalty';
export { BLOCK_SIZE, CARD_KINDS, type CardKind, blockCount, sectorCount, sectorOf, firstBlockOfSector, trailerBlockOf, isSectorTrailer } from '../mifare/geometry';
export { blockFromHex, blockToHex, blockFromBase64, blockToBase64 } from '../mifare/block';
export { VALUE_MIN, VALUE_MAX, encodeValueBlock, decodeValueBlock, isValueBlock, type ValueBlockResult } from '../mifare/value-block';
export { DEFAULT_KEY_HEX, type AccessCondition, type AccessConditions, decodeAccessBits, encodeAccessBits, encodeTrailer, type GuardOptions, type GuardResult, guardWrite } from '../mifare/trailer';
export { VirtualMifareCard, type TearMode, type VirtualCardOptions, type ReadResult, type WriteResult } from '../mifare/virtual-card';
export {
  ShadowLedger,
  type ShadowLedgerOptions,
  type RecordOptions,
  type LedgerEntry,
  type CardRecord,
  type OwedRecord,
  type OwedChange,
  type LedgerVerdict,
  type LedgerTransport,
  type UnknownCardPolicy,
  type RemoteRecord,
  type MergeResult,
  UNKNOWN_CARD_POLICIES,
  judge,
  merge,
  mqttClientTransport,
} from '../mifare/ledger';
export { uidFromManufacturerBlock } from '../mifare/manufacturer';
