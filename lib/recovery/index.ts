// Outcome-unknown recovery: the durable in-flight journal, its client hooks and the recovery procedure (docs/reliability.md).
export * from './types';
export * from './errors';
export * from './journal';
export * from './journal-file';
export * from './hooks';
export * from './match';
export * from './terminal-time';
export * from './recover';
export * from './manager';
