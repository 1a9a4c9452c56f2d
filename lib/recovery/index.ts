// Outcome-unknown recovery: the durable in-flight journal and TransactionRecovery, the one object around it (docs/reliability.md).
export * from './types';
export * from './errors';
export * from './journal';
export * from './journal-file';
export * from './match';
export * from './terminal-time';
export * from './recover';
export * from './transaction-recovery';
