/**
 * `@jpaykit/node-red-jpay/mifare`: MIFARE Classic building blocks (geometry, NXP value
 * blocks, sector trailers), the tear-proof loyalty / stored-value card layout and a
 * virtual card to test against (docs/loyalty-card.md).
 */
export * from '../mifare/loyalty';
export { BLOCK_SIZE, CARD_KINDS, type CardKind, blockCount, sectorCount, sectorOf, firstBlockOfSector, trailerBlockOf, isSectorTrailer } from '../mifare/geometry';
export { blockFromHex, blockToHex, blockFromBase64, blockToBase64 } from '../mifare/block';
export { VALUE_MIN, VALUE_MAX, encodeValueBlock, decodeValueBlock, isValueBlock, type ValueBlockResult } from '../mifare/value-block';
export { DEFAULT_KEY_HEX, type AccessCondition, type AccessConditions, decodeAccessBits, encodeAccessBits, encodeTrailer, type GuardOptions, type GuardResult, guardWrite } from '../mifare/trailer';
export { VirtualMifareCard, type TearMode, type VirtualCardOptions, type ReadResult, type WriteResult } from '../mifare/virtual-card';
