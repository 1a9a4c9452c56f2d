/** MQTT receipt publishing with a durable outbox (docs/mqtt.md). */
export { createReceiptPublisher, ReceiptPublisher } from './publisher';
export type {
  PublisherState,
  PublishReceiptExtra,
  PublishReceiptResult,
  ReceiptProgress,
  ReceiptPublisherEvents,
  TerminalStatus,
} from './publisher';
export type { PublisherTlsOptions, ReceiptPublisherOptions } from './options';
export { OutboxError, type OutboxErrorCode } from './errors';
export { Outbox, DEFAULT_OUTBOX_LIMITS, type LoadReport, type OutboxLimits } from './outbox';
export { buildReceiptMessage, receiptIdOf, sanitizeReceipt, type ReceiptMessage } from './message';
export { RECEIPT_MESSAGE_FORMAT, RECEIPT_MESSAGE_SCHEMA, RECEIPT_SCHEMA, assertReceiptMessage } from './schema';
export { maskPansInText, maskPanValue, sanitizeValue } from './sanitize';
export { DEFAULT_PREFIX, normalizePrefix, terminalTopics, type TerminalTopics } from './topics';
