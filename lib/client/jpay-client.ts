/**
 * JpayClient: the protocol client for one terminal. One command at a time (queued),
 * one TCP connection per command, every terminal message answered, typed results and
 * typed errors. Knows nothing of Node-RED.
 */
import { EventEmitter } from 'node:events';
import { JpayError, JpayProtocolError, JpayStatusError, TransactionOutcomeUnknown } from '../errors';
import type {
  CardMessage,
  CommandName,
  DexMessage,
  DisplayMessage,
  MasterKeysReceipt,
  QrCodeMessage,
  Receipt,
  ReportType,
  ResponseBase,
  ResponseTypes,
  SReport,
  TerminalParameters,
  TransactionRequest,
  TransactionResult,
  WorkKeysReceipt,
  XReport,
} from '../protocol/types';
import { JpayAbortError } from './abort';
import { AdminSession } from './admin-session';
import { AnswerBinder, type ReceiptWatermark } from './answer-binding';
import { CommandQueue } from './command-queue';
import { CallOptions, CommandRunner, SendParams } from './command-runner';
import { KillSwitch } from './exchange';
import { DispatchEvents, KeepaliveInfo, mergeHandlers, MessageHandlers } from './message-dispatch';
import { JpayClientOptions, ResolvedOptions, validateHandlers, validateOptions } from './options';
import { describeError, Redactor, SafeLogger } from './redact';
import { SecureSession } from './secure-session';
import { validateAnnotations, type TransactionAnnotations } from './transaction-hooks';

/** The factory default admin password (§6); the terminal returns to it after resetpassword. */
export const DEFAULT_ADMIN_PASSWORD = '12345678';

export interface CommandStartEvent {
  command: CommandName;
  host: string;
  port: number;
}

export interface CommandEndEvent {
  command: CommandName;
  host: string;
  port: number;
  /** The terminal's status, when a response arrived. */
  status?: string;
  /** The call resolved (a declined transaction resolves too). */
  ok: boolean;
  /** `Name: message` of the error the call rejected with (secrets redacted). */
  error?: string;
  /** transaction: an answer arrived and it is approved (the client's one decision, TransactionResult.approved). */
  approved?: boolean;
  /** transaction: it was (or may have been) sent and no usable answer came (TransactionOutcomeUnknown). */
  outcomeUnknown?: boolean;
  /** transaction: the receipt of the answer, if it had one (as the terminal printed it: PAN masked; never plain-text-pan). */
  receipt?: Receipt;
  durationMs: number;
}

/**
 * How a transaction ended, for those whose work depends on it (a loyalty card credited
 * before the bank's answer): `approved`, `not-approved` (declined, cancelled, any other
 * status, or refused before sending), or `unknown` (sent, no usable answer).
 */
export type TransactionEnd = 'approved' | 'not-approved' | 'unknown';

export function transactionEndOf(e: Pick<CommandEndEvent, 'approved' | 'outcomeUnknown'>): TransactionEnd {
  if (e.outcomeUnknown === true) return 'unknown';
  return e.approved === true ? 'approved' : 'not-approved';
}

export interface JpayClientEvents {
  display: [DisplayMessage];
  qrcode: [QrCodeMessage];
  keepalive: [KeepaliveInfo];
  card: [CardMessage];
  dex: [DexMessage];
  'command-start': [CommandStartEvent];
  'command-end': [CommandEndEvent];
}

export interface TransactionOptions {
  /** Abort: before sending = rejected with AbortError; after = the next keepalive is answered cancelled. */
  signal?: AbortSignal;
  /** Override the client-wide handlers for this call, key by key. */
  handlers?: MessageHandlers;
  /** Notes handed to the `transactionHooks` with this transaction (e.g. for a journal). */
  annotations?: TransactionAnnotations;
}

export type RunResetOptions = TransactionOptions;
export type SendOptions = TransactionOptions;

export class JpayClient extends EventEmitter<JpayClientEvents> {
  readonly host: string;
  readonly port: number;
  private readonly options: ResolvedOptions;
  private readonly redactor = new Redactor();
  private readonly log: SafeLogger;
  private readonly admin: AdminSession;
  private readonly secure: SecureSession;
  private readonly binder: AnswerBinder;
  private readonly queue = new CommandQueue();
  private readonly killer = new KillSwitch();
  private readonly runner: CommandRunner;
  private closing: Promise<void> | undefined;

  constructor(options: JpayClientOptions) {
    super();
    this.options = validateOptions(options);
    this.host = this.options.host;
    this.port = this.options.port;
    this.log = new SafeLogger(this.options.logger, this.redactor);
    this.admin = new AdminSession(this.options.password, this.redactor);
    this.secure = new SecureSession(this.options.encrypt, this.options.maxSessionPackets);
    this.binder = new AnswerBinder(`${this.host}:${this.port}`, this.options.receiptClockToleranceMs, this.log, this.options.receiptWatermarks);
    this.runner = new CommandRunner({
      options: this.options,
      admin: this.admin,
      secure: this.secure,
      binder: this.binder,
      logger: this.log,
      emit: (event, payload) => this.safeEmit(event, payload),
      kill: this.killer,
    });
  }

  /** Whether a session key is held (encrypt: true, after a successful handshake). */
  get encrypted(): boolean {
    return this.secure.key !== undefined;
  }

  /** The newest receipt numbers and the terminal's clock as this client knows them (a copy). */
  get receiptWatermark(): ReceiptWatermark {
    return this.binder.snapshot();
  }

  /** Whether the client holds the admin password (reports, settlement, admin login need it). */
  get hasPassword(): boolean {
    return this.admin.hasPassword;
  }

  /** Whether an admin token is cached. */
  get loggedIn(): boolean {
    return this.admin.hasToken;
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  // ---- Admin session ----

  /** Logs in (with the encryption handshake when `encrypt`) and caches the token. */
  async login(): Promise<void> {
    await this.run('login', {}, {}, true);
  }

  /** Ends the admin session. Without a cached token nothing is sent. */
  async logout(): Promise<void> {
    await this.enqueue('logout', undefined, async () => {
      if (!this.admin.hasToken) return undefined;
      try {
        const result = await this.runner.perform('logout', {}, this.callOptions({}));
        // notauthorized: the token had already expired, which is what logout wanted.
        if (!result.ok && result.status !== 'notauthorized') throw this.statusError('logout', result);
        return result;
      } finally {
        this.admin.clearToken();
      }
    });
  }

  /** Changes the admin password; on success the client uses the new one. */
  async changePassword(newPassword: string): Promise<void> {
    if (typeof newPassword === 'string') this.redactor.add(newPassword);
    await this.enqueue('changepassword', undefined, async () => {
      const result = await this.runner.perform('changepassword', { newPassword }, this.callOptions({}));
      if (!result.ok) throw this.statusError('changepassword', result);
      this.admin.setPassword(newPassword);
      return result;
    });
  }

  /** `resetpassword`: the terminal returns to the factory password, which the client then uses. */
  async resetPassword(): Promise<void> {
    await this.enqueue('resetpassword', undefined, async () => {
      const result = await this.runner.perform('resetpassword', {}, this.callOptions({}));
      if (!result.ok) throw this.statusError('resetpassword', result);
      this.admin.setPassword(DEFAULT_ADMIN_PASSWORD);
      this.admin.clearToken();
      return result;
    });
  }

  // ---- Token commands ----

  async updateConfiguration(): Promise<void> {
    await this.run('updateconfiguration', {}, {}, true);
  }

  async loadWorkKeys(): Promise<WorkKeysReceipt> {
    return (await this.run('loadworkkeys', {}, {}, true)).receipt ?? {};
  }

  async loadMasterKeys(): Promise<MasterKeysReceipt> {
    return (await this.run('loadmasterkeys', {}, {}, true)).receipt ?? {};
  }

  async testConnection(): Promise<void> {
    await this.run('testconnection', {}, {}, true);
  }

  async getParameters(): Promise<TerminalParameters> {
    return (await this.run('getparameters', {}, {}, true)).parameters ?? {};
  }

  /** Installs a SAM AV2 host key (material: Base64). Send it over an encrypted session. */
  async setHostKey(name: string, materialBase64: string): Promise<void> {
    if (!this.options.encrypt) this.log.warn('sethostkey sent without encryption: the key material travels in plain text');
    await this.run('sethostkey', { name, material: materialBase64 }, {}, true);
  }

  /** Terminal initialisation (§10): answers keep-alives until the activator finished. */
  async runReset(opts: RunResetOptions = {}): Promise<void> {
    await this.run('runreset', {}, opts, true);
  }

  // ---- Payments and reports ----

  /** Any status resolves (declined and cancelled are data); see TransactionOutcomeUnknown for the unknown case. */
  transaction(req: TransactionRequest, opts: TransactionOptions = {}): Promise<TransactionResult> {
    return this.run('transaction', req, opts, false);
  }

  async report(type: ReportType = 'brief'): Promise<XReport> {
    const result = await this.run('report', { reportType: type }, {}, true);
    if (!result.report) throw new JpayProtocolError('bad-packet', 'report response without <xreport>');
    return result.report;
  }

  async settlement(): Promise<SReport> {
    const result = await this.run('settlement', {}, {}, true);
    if (!result.report) throw new JpayProtocolError('bad-packet', 'settlement response without <sreport>');
    return result.report;
  }

  /** Deletes the terminal's whole transaction log and performs the cutover. */
  async clear(): Promise<SReport> {
    const result = await this.run('clear', {}, {}, true);
    if (!result.report) throw new JpayProtocolError('bad-packet', 'clear response without <sreport>');
    return result.report;
  }

  /** Any command, raw typed response, whatever the status. The client adds token and password. */
  send<C extends CommandName>(command: C, params?: SendParams<C>, opts: SendOptions = {}): Promise<ResponseTypes[C]> {
    return this.run(command, (params ?? {}) as SendParams<C>, opts, false);
  }

  /**
   * Rejects queued commands, abandons the running one (a transaction already sent then
   * rejects with TransactionOutcomeUnknown) and resolves when nothing is left running.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const pending = this.queue.close(new JpayError('client closed'));
      this.killer.kill();
      await pending;
      this.secure.drop();
      this.admin.clearToken();
    })();
    return this.closing;
  }

  // ---- Internals ----

  private callOptions(opts: SendOptions): CallOptions {
    // Most calls bring no handlers of their own: the client-wide ones serve as they are.
    const handlers = opts.handlers === undefined ? this.options.handlers : mergeHandlers(this.options.handlers, validateHandlers(opts.handlers, 'handlers'));
    const call: CallOptions = opts.signal === undefined ? { handlers } : { handlers, signal: opts.signal };
    const annotations = validateAnnotations(opts.annotations, 'annotations');
    if (annotations !== undefined) call.annotations = annotations;
    return call;
  }

  private statusError(command: CommandName, result: ResponseBase): JpayStatusError {
    return new JpayStatusError(command, result.status, result.errors);
  }

  private run<C extends CommandName>(
    command: C,
    params: SendParams<C>,
    opts: SendOptions,
    requireOk: boolean,
  ): Promise<ResponseTypes[C]> {
    let call: CallOptions;
    try {
      call = this.callOptions(opts);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.enqueue(command, opts.signal, async () => {
      const result = await this.runner.perform(command, params, call);
      if (requireOk && !result.ok) throw this.statusError(command, result);
      return result;
    });
  }

  /** Queue one caller-level operation: events, logging, redaction of whatever it rejects with. */
  private async enqueue<T extends ResponseBase | undefined>(
    command: CommandName,
    signal: AbortSignal | undefined,
    task: () => Promise<T>,
  ): Promise<T> {
    if (this.closing) throw new JpayError('client closed');
    if (signal?.aborted) throw new JpayAbortError();
    const startedAt = Date.now();
    const { host, port } = this;
    try {
      return await this.queue.run(
        async () => {
          // Written out: spreading an object into a literal costs microseconds on every command.
          this.safeEmit('command-start', { command, host, port });
          let result: T;
          try {
            result = await task();
          } catch (error) {
            const clean = this.redactor.error(error);
            const end: CommandEndEvent = { command, host, port, ok: false, error: describeError(clean), durationMs: Date.now() - startedAt };
            if (clean instanceof JpayStatusError) end.status = clean.status;
            if (command === 'transaction') end.outcomeUnknown = clean instanceof TransactionOutcomeUnknown;
            this.log.info(`${command} failed`, { error: end.error });
            this.safeEmit('command-end', end);
            throw clean;
          }
          const end: CommandEndEvent = { command, host, port, ok: true, durationMs: Date.now() - startedAt };
          if (result !== undefined) end.status = result.status;
          if (command === 'transaction') {
            const transaction = result as unknown as TransactionResult | undefined;
            end.approved = transaction?.approved === true;
            if (transaction?.receipt) end.receipt = transaction.receipt;
          }
          if (this.log.debugging) this.log.debug(`${command} done`, { status: end.status, durationMs: end.durationMs });
          this.safeEmit('command-end', end);
          return result;
        },
        signal,
        () => new JpayAbortError('aborted while waiting for the previous command'),
      );
    } catch (error) {
      throw this.redactor.error(error);
    }
  }

  private safeEmit<K extends keyof JpayClientEvents>(event: K, ...args: JpayClientEvents[K]): void;
  private safeEmit<K extends keyof DispatchEvents>(event: K, payload: DispatchEvents[K]): void;
  private safeEmit(event: keyof JpayClientEvents, payload: unknown): void {
    try {
      (this.emit as (e: string, p: unknown) => boolean)(event, payload);
    } catch (error) {
      this.log.warn(`a '${event}' listener threw`, { error: describeError(error) });
    }
  }
}
