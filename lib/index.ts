/**
 * @jpaykit/node-red-jpay: the JPAY protocol library. Nothing here imports Node-RED.
 *
 * What a program uses: the client, its typed errors, the typed protocol objects and request
 * validation, and, loaded on first use, the simulator, outcome-unknown recovery and the
 * receipt publisher. Each of those three also has its own entry point with everything it
 * offers: `@jpaykit/node-red-jpay/simulator`, `/recovery` and `/publish`; the MIFARE
 * loyalty card layout is at `/mifare`. Anything else under dist/ is internal.
 */
import { onFirstUse } from './lazy';
import type * as PublishApi from './api/publish';
import type * as RecoveryApi from './api/recovery';
import type * as SimulatorApi from './api/simulator';

export * from './errors';

export { JpayClient, DEFAULT_ADMIN_PASSWORD } from './client/jpay-client';
export type { CommandEndEvent, CommandStartEvent, JpayClientEvents, RunResetOptions, SendOptions, TransactionOptions } from './client/jpay-client';
export { DEFAULT_CLIENT_PORT, DEFAULT_TIMEOUTS } from './client/options';
export type { ClientLogger, ClientTimeouts, JpayClientOptions } from './client/options';
export type { HandlerOutcome, KeepaliveInfo, MessageHandlers } from './client/message-dispatch';
export { JpayAbortError } from './client/abort';
export type { TransactionAnnotations, TransactionHooks, TransactionSettlement, TransactionStart } from './client/transaction-hooks';

export * from './protocol/types';
export { Secret, maskPan } from './protocol/secret';
export * from './protocol/status';
export * from './protocol/display';
export * from './protocol/emv-tags';
export { MAX_WIRE_AMOUNT } from './protocol/values';
export { REQUEST_SCHEMAS, type JsonSchema } from './protocol/schemas';
export { findRequestProblem, isCommandName, validateRequest, type ValidationProblem, type ValidationProblemKind } from './protocol/validation';
export { isReceiptApproved, PLAIN_TEXT_PAN } from './protocol/receipt';

export type { SimulatorHandle, SimulatorOptions, Scenario, OutcomeSpec, TestCard } from './api/simulator';
export type { TransactionRecoveryOptions, RecoveryOutcome, RecoveryResult, JournalEntry } from './api/recovery';
export type { ReceiptMessage, ReceiptPublisherOptions, PublishReceiptResult } from './api/publish';
export type TransactionRecovery = RecoveryApi.TransactionRecovery;
export type RecoveryPendingError = RecoveryApi.RecoveryPendingError;
export type ReceiptPublisher = PublishApi.ReceiptPublisher;
export type OutboxError = PublishApi.OutboxError;

// The simulator, recovery and the publisher (with the MQTT client) load when one of these
// names is first read. The `let`s give the names to TypeScript and to Node's ES-module
// import of this CommonJS file; the getters below give them their values.
export let startSimulator: typeof SimulatorApi.startSimulator;
export let TransactionRecovery: typeof RecoveryApi.TransactionRecovery;
export let RecoveryPendingError: typeof RecoveryApi.RecoveryPendingError;
export let createReceiptPublisher: typeof PublishApi.createReceiptPublisher;
export let ReceiptPublisher: typeof PublishApi.ReceiptPublisher;
export let OutboxError: typeof PublishApi.OutboxError;

/* eslint-disable @typescript-eslint/no-require-imports */
const simulator = onFirstUse(() => require('./api/simulator') as typeof SimulatorApi);
const recovery = onFirstUse(() => require('./api/recovery') as typeof RecoveryApi);
const publish = onFirstUse(() => require('./api/publish') as typeof PublishApi);
/* eslint-enable @typescript-eslint/no-require-imports */

const LAZY: Record<string, () => unknown> = {
  startSimulator: () => simulator().startSimulator,
  TransactionRecovery: () => recovery().TransactionRecovery,
  RecoveryPendingError: () => recovery().RecoveryPendingError,
  createReceiptPublisher: () => publish().createReceiptPublisher,
  ReceiptPublisher: () => publish().ReceiptPublisher,
  OutboxError: () => publish().OutboxError,
};
for (const [name, get] of Object.entries(LAZY)) {
  Object.defineProperty(module.exports, name, { enumerable: true, configurable: false, get });
}
