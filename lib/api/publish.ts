/**
 * `@jpaykit/node-red-jpay/publish`: receipts to MQTT through a durable outbox, the message
 * format and its JSON Schema, and the topic layout (docs/mqtt.md).
 */
export * from '../publish';
