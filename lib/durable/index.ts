// The durable append-only log the outbox, the recovery journal and the simulator's log share (docs/reliability.md).
export { DurableLog, NewerRecordVersion, type DamagePolicy, type DurableLogOptions, type LegacyImport, type OpenReport, type WriteOptions } from './log';
export { DurableLogError, type DurableLogErrorCode } from './errors';
export { nodeFs, type DurableFile, type DurableFs } from './fs';
export { encodeRecord, scanRecords, FORMAT_VERSION, type Damage, type DamageReason, type EncodedRecord } from './record';
export { crc32c } from './crc32c';
