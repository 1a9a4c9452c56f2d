// The protocol client. (Internals such as the exchange and the dispatcher are exported for tests and tools.)
export * from './jpay-client';
export * from './options';
export * from './abort';
export * from './command-queue';
export * from './command-runner';
export * from './exchange';
export * from './failures';
export * from './message-dispatch';
export * from './admin-session';
export * from './secure-session';
export * from './answer-binding';
export * from './redact';
export * from './transaction-hooks';
