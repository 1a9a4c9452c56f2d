/** MQTT receipt publishing with a durable outbox (docs/mqtt.md): what `@jpaykit/node-red-jpay/publish` offers. */
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
export { DEFAULT_OUTBOX_LIMITS, type OutboxLimits } from './outbox';
export { buildReceiptMessage, receiptIdOf, sanitizeReceipt, type ReceiptMessage } from './message';
export { RECEIPT_MESSAGE_FORMAT, RECEIPT_MESSAGE_SCHEMA, RECEIPT_SCHEMA, assertReceiptMessage } from './schema';
export { DEFAULT_PREFIX, terminalTopics, type TerminalTopics } from './topics';
