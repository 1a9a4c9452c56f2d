// Everything of lib/protocol. (fields.ts is internal.)
export * from './types';
export * from './secret';
export * from './status';
export * from './display';
export * from './emv-tags';
export * from './values';
export * from './schemas';
export * from './validation';
export * from './requests';
export * from './responses';
export * from './receipt';
export * from './report';
export * from './parameters';
export * from './messages';
export * from './transaction-answer';
export * from './outcome';
