/**
 * Runs one caller-level command to completion: the login it needs first (admin token,
 * encryption handshake), the exchange itself, the checks on a transaction's answer
 * (answer-binding.ts), and the single allowed repeat (after `notauthorized` on a token
 * command, or after a plain-text failure to an encrypted command that only reads or sets
 * up — the terminal lost its key). A transaction, a settlement and a clear are never
 * repeated: a plain-text answer to them is an unknown outcome / a protocol error.
 */
import { Packet } from '../codec/packet';
import { isEncryptedPacket } from '../codec/crypto';
import { JpayError, JpayProtocolError, JpayStatusError, outcomeUnknownReason, TransactionOutcomeUnknown } from '../errors';
import { buildRequest } from '../protocol/requests';
import { parseResponse } from '../protocol/responses';
import { carriesPassword, findRequestProblem, isTokenCommand, PLACEHOLDER_TOKEN } from '../protocol/validation';
import { CommandName, LoginResult, RequestParams, ResponseTypes, TransactionRequest } from '../protocol/types';
import { JpayAbortError } from './abort';
import type { AdminSession } from './admin-session';
import type { AnswerBinder } from './answer-binding';
import { ExchangeFailure, runExchange, type ExchangeOptions, type KillSwitch } from './exchange';
import { type FrameLimitOption, mapFailure, transactionInfo } from './failures';
import { DispatchEvents, MessageDispatcher, MessageHandlers } from './message-dispatch';
import { REPORT_FRAME_COMMANDS, type ResolvedOptions } from './options';
import type { SafeLogger } from './redact';
import type { SecureSession, SessionCipher } from './secure-session';
import { hookRequest, type TransactionAnnotations, type TransactionSettlement } from './transaction-hooks';

/** Parameters a caller passes: the client adds the token and the password itself. */
export type SendParams<C extends CommandName> = Omit<RequestParams[C], 'token' | 'password' | 'clientHandshake'>;

export interface CallOptions {
  handlers: MessageHandlers;
  signal?: AbortSignal;
  /** Handed to the transaction hooks. */
  annotations?: TransactionAnnotations;
}

export interface RunnerDeps {
  options: ResolvedOptions;
  admin: AdminSession;
  secure: SecureSession;
  /** Checks every transaction answer against its request and the terminal's history. */
  binder: AnswerBinder;
  logger: SafeLogger;
  emit<K extends keyof DispatchEvents>(event: K, payload: DispatchEvents[K]): void;
  /** Thrown when the client closes. */
  kill: KillSwitch;
}

/** Commands under the transaction cap (timeouts.transactionMs); the others are under the command cap. */
const LONG_COMMANDS: ReadonlySet<CommandName> = new Set(['transaction', 'runreset']);
/**
 * Commands with an effect beyond the terminal's settings: a plain-text answer to them
 * inside an encrypted session is never a reason to repeat them (the terminal may have done it).
 */
const NEVER_REPEATED: ReadonlySet<CommandName> = new Set(['transaction', 'settlement', 'clear']);
/**
 * The reason the dispatcher's signal aborts with when an exchange ends. Built once:
 * abort() without a reason builds a DOMException with a stack on every command.
 */
const EXCHANGE_ENDED = new JpayError('the exchange ended');

/** A request built (and so validated) ahead of the exchange, with the token it carries. */
interface Prepared {
  request: Packet;
  token: string | undefined;
}

/**
 * The signal that tells a running message handler the exchange ended. Created only when
 * a handler asks for it: most commands see no terminal message at all.
 */
class ExchangeEnd {
  private controller: AbortController | undefined;
  private done = false;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.done) this.controller.abort(EXCHANGE_ENDED);
    }
    return this.controller.signal;
  }

  end(): void {
    this.done = true;
    this.controller?.abort(EXCHANGE_ENDED);
  }
}

interface Attempt<C extends CommandName> {
  result: ResponseTypes[C];
  /** Sent encrypted, answered in plain text with a failure: the terminal lost the key (the client dropped its own). */
  keyLost: boolean;
}

/** The frame limit of a command's connection, and the option that sets it. */
function frameLimit(options: ResolvedOptions, command: CommandName): { bytes: number; option: FrameLimitOption } {
  return REPORT_FRAME_COMMANDS.has(command)
    ? { bytes: options.maxReportFrameSize, option: 'maxReportFrameSize' }
    : { bytes: options.maxFrameSize, option: 'maxFrameSize' };
}

export class CommandRunner {
  constructor(private readonly d: RunnerDeps) {}

  async perform<C extends CommandName>(command: C, params: SendParams<C>, call: CallOptions): Promise<ResponseTypes[C]> {
    const { admin, secure } = this.d;
    if (command === 'login') return (await this.login(call)) as ResponseTypes[C];
    // The session's memory of IVs reached its bound: a new key (and an empty memory) first.
    if (secure.cipher?.worn) {
      this.d.logger.debug('session key worn; handshaking a new one', { command });
      secure.drop();
    }
    // Everything that can be refused locally is refused before any byte goes out. With a
    // cached token this is the request the first attempt sends (built and validated once).
    const token = isTokenCommand(command) ? (admin.token() ?? PLACEHOLDER_TOKEN) : undefined;
    const prepared: Prepared = { request: this.build(command, params, token), token };
    const plainResetPassword = command === 'resetpassword' && !admin.hasPassword;
    if (secure.enabled && !secure.key && !plainResetPassword) admin.password(`${command} over an encrypted session (login)`);
    if (isTokenCommand(command) && !admin.token()) admin.password(`${command} (admin login)`);
    this.checkAbort(call.signal);

    if (secure.enabled && !secure.key && !plainResetPassword) await this.loginOrThrow(call);
    if (isTokenCommand(command) && !admin.token()) await this.loginOrThrow(call);

    let attempt = await this.attempt(command, params, call, prepared);
    if (attempt.keyLost) {
      this.d.logger.warn('terminal lost the session key; handshaking again and repeating once', { command });
      await this.loginOrThrow(call);
      attempt = await this.attempt(command, params, call);
      if (attempt.keyLost) throw this.plainTextError(command);
    }
    if (isTokenCommand(command) && command !== 'logout' && attempt.result.status === 'notauthorized') {
      this.d.logger.info('token refused; logging in again and repeating once', { command });
      admin.clearToken();
      await this.loginOrThrow(call);
      attempt = await this.attempt(command, params, call);
      if (attempt.keyLost) throw this.plainTextError(command);
    }
    return attempt.result;
  }

  private plainTextError(command: CommandName): JpayProtocolError {
    return new JpayProtocolError('plain-text', `the terminal answered the encrypted ${command} in plain text`);
  }

  private checkAbort(signal: AbortSignal | undefined): void {
    if (signal?.aborted) throw new JpayAbortError();
  }

  /** The request with the token and the password added where the command carries them; validated. */
  private build<C extends CommandName>(command: C, params: SendParams<C>, token: string | undefined): Packet {
    const { admin } = this.d;
    const base = { ...(params as object) } as Record<string, unknown>;
    if (isTokenCommand(command)) {
      if (token === undefined) throw new JpayError(`no admin token for ${command}`);
      base.token = token;
    }
    if (carriesPassword(command, params)) {
      base.password = admin.password(command === 'transaction' ? 'a transaction with manually entered card data' : command);
    }
    return buildRequest(command, base as RequestParams[C]); // validates (JpayValidationError naming the field)
  }

  /**
   * The exchange's message dispatcher, made at the terminal's first message (most commands
   * see none). A transaction or runreset whose caller aborted answers its next keep-alive
   * `cancelled`.
   */
  private dispatcher(command: CommandName, call: CallOptions, ended: ExchangeEnd, onDisplay: (code: string) => void): () => MessageDispatcher {
    const { logger, options, emit } = this.d;
    const cancellable = command === 'transaction' || command === 'runreset';
    let noted = false;
    let dispatcher: MessageDispatcher | undefined;
    return () =>
      (dispatcher ??= new MessageDispatcher({
        command,
        handlers: call.handlers,
        handlerMs: options.timeouts.handlerMs,
        logger,
        signal: () => ended.signal,
        emit,
        cancelRequested: () => {
          const cancel = cancellable && call.signal?.aborted === true;
          if (cancel && !noted) {
            noted = true;
            logger.info('cancellation requested; the keep-alive is answered cancelled', { command });
          }
          return cancel;
        },
        onDisplay: (m) => onDisplay(m.code),
      }));
  }

  /** One exchange of the command with the current token and key. */
  private async attempt<C extends CommandName>(command: C, params: SendParams<C>, call: CallOptions, prepared?: Prepared): Promise<Attempt<C>> {
    const { options, secure, admin, logger } = this.d;
    const plainResetPassword = command === 'resetpassword' && !secure.key;
    const cipher: SessionCipher | undefined = secure.enabled && !plainResetPassword ? secure.cipher : undefined;
    const token = isTokenCommand(command) ? admin.token() : undefined;
    const request = prepared && prepared.token === token ? prepared.request : this.build(command, params, token);
    const transaction = command === 'transaction' ? (params as unknown as TransactionRequest) : undefined;
    let lastDisplayCode: string | undefined;
    const ended = new ExchangeEnd();
    const hooks = transaction ? this.d.options.transactionHooks : undefined;
    /** Set once beforeSend ran: from then on the hooks hear how it ended. */
    let hooked: { ticket: unknown } | undefined;
    const beforeSend = async (): Promise<void> => {
      const ticket = hooks?.beforeSend
        ? await hooks.beforeSend({
            request: hookRequest(transaction as TransactionRequest),
            host: options.host,
            port: options.port,
            encrypted: cipher !== undefined,
            annotations: call.annotations ?? {},
          })
        : undefined;
      hooked = { ticket };
    };
    const settle = async (settlement: TransactionSettlement): Promise<void> => {
      if (!hooked || !hooks?.settled) return;
      try {
        await hooks.settled(hooked.ticket, settlement);
      } catch (error) {
        logger.warn('a transaction hook failed after the transaction', { error: error instanceof Error ? error.message : String(error) });
      }
    };
    if (logger.debugging) logger.debug(`sending ${command}`, { host: options.host, port: options.port, encrypted: cipher !== undefined });
    let response: Packet;
    let encrypted: boolean;
    let sentAt: Date;
    let receivedAt: Date;
    try {
      const exchange = this.exchange(command, request, call, ended, (code) => (lastDisplayCode = code));
      if (cipher) exchange.cipher = cipher;
      if (hooks) exchange.beforeSend = beforeSend;
      ({ response, encrypted, sentAt, receivedAt } = await runExchange(exchange));
    } catch (error) {
      const failure = mapFailure(error, {
        command,
        host: options.host,
        port: options.port,
        frameLimit: frameLimit(options, command).option,
        ...(transaction ? { transaction } : {}),
        ...(lastDisplayCode === undefined ? {} : { lastDisplayCode }),
      });
      if (failure instanceof TransactionOutcomeUnknown) await settle({ kind: 'unknown', error: failure });
      else if (error instanceof ExchangeFailure && !error.mayHaveSent) await settle({ kind: 'not-sent', error: failure });
      // Anything else after beforeSend leaves the journal entry open: recovery decides.
      throw failure;
    } finally {
      ended.end();
    }
    let attempt: Attempt<C>;
    const window = { sentAt, receivedAt };
    try {
      const result = parseResponse(command, response);
      if (logger.debugging) logger.debug(`${command} answered`, { status: result.status });
      if (cipher !== undefined && !encrypted) {
        // Anyone on the line can write plain text. It may be a terminal that lost its key
        // (restarted: the next command handshakes again), never an answer to believe.
        secure.drop();
        if (result.ok || NEVER_REPEATED.has(command)) throw this.plainTextError(command);
        attempt = { result, keyLost: true };
      } else {
        attempt = { result, keyLost: false };
      }
      if (transaction) {
        const tx = result as ResponseTypes['transaction'];
        Object.assign(tx, await this.d.binder.bind(transaction, response, tx, window));
        if (tx.amountMismatch) {
          logger.warn('the terminal authorized another amount than requested', { requested: tx.requestedAmount, authorized: tx.authorizedAmount });
        }
      }
    } catch (error) {
      // A response arrived but cannot be trusted or read: for a transaction that is an unknown outcome.
      if (!transaction) throw error;
      const info = transactionInfo(transaction, {
        host: options.host,
        port: options.port,
        sentAt,
        ...(lastDisplayCode === undefined ? {} : { lastDisplayCode }),
      });
      const reason = error instanceof JpayProtocolError ? outcomeUnknownReason(error) : 'protocol-error';
      logger.warn('transaction answer refused: outcome unknown', { reason, error: error instanceof Error ? error.message : String(error) });
      const unknown = new TransactionOutcomeUnknown('awaiting-response', info, { cause: error, reason });
      await settle({ kind: 'unknown', error: unknown });
      throw unknown;
    }
    if (command === 'report' && attempt.result.ok) {
      const report = (attempt.result as ResponseTypes['report']).report;
      if (report) await this.d.binder.observeReport(report, window);
    }
    if (transaction) await settle({ kind: 'answered', result: attempt.result as ResponseTypes['transaction'] });
    return attempt;
  }

  /** The exchange of `command`: where to connect, what one connection may hold, its limits. */
  private exchange(command: CommandName, request: Packet, call: CallOptions, ended: ExchangeEnd, onDisplay: (code: string) => void): ExchangeOptions {
    const { options } = this.d;
    const long = LONG_COMMANDS.has(command);
    const exchange: ExchangeOptions = {
      host: options.host,
      port: options.port,
      connectMs: options.timeouts.connectMs,
      maxFrameSize: frameLimit(options, command).bytes,
      command,
      request,
      deadlineMs: long ? options.timeouts.transactionMs : options.timeouts.commandMs,
      cap: long ? 'transaction' : 'command',
      idleMs: options.timeouts.idleMs,
      dispatcher: this.dispatcher(command, call, ended, onDisplay),
      kill: this.d.kill,
    };
    if (call.signal) exchange.signal = call.signal;
    if (options.maxQueuedPackets !== undefined) exchange.maxQueuedPackets = options.maxQueuedPackets;
    if (options.maxQueuedBytes !== undefined) exchange.maxQueuedBytes = options.maxQueuedBytes;
    return exchange;
  }

  /** Login that must succeed (a prerequisite of another command). */
  private async loginOrThrow(call: CallOptions): Promise<void> {
    const result = await this.login(call);
    if (!result.ok) {
      throw new JpayStatusError('login', result.status, result.errors);
    }
  }

  /** Login, with the encryption handshake when the session is encrypted (§9). Caches the token. */
  async login(call: CallOptions): Promise<LoginResult> {
    const { options, admin, secure, logger } = this.d;
    const password = admin.password('login');
    this.checkAbort(call.signal);
    const handshake = secure.enabled ? secure.begin() : undefined;
    const request = buildRequest('login', handshake ? { password, clientHandshake: handshake.clientHandshake } : { password });
    const ended = new ExchangeEnd();
    logger.debug('sending login', { host: options.host, port: options.port, handshake: handshake !== undefined });
    let response: Packet;
    try {
      ({ response } = await runExchange(this.exchange('login', request, call, ended, () => undefined)));
    } catch (error) {
      throw mapFailure(error, { command: 'login', host: options.host, port: options.port, frameLimit: 'maxFrameSize' });
    } finally {
      ended.end();
    }
    const serverHandshake = response.attrs['server-handshake']?.trim();
    let session: SessionCipher | undefined;
    if (handshake && serverHandshake) {
      session = handshake.derive(serverHandshake);
      if (isEncryptedPacket(response)) response = session.open(response);
    } else if (isEncryptedPacket(response)) {
      throw new JpayProtocolError('bad-crypto', 'encrypted login response without a handshake');
    }
    const result = parseResponse('login', response);
    if (!result.ok) {
      admin.clearToken();
      logger.info('login refused', { status: result.status });
      return result;
    }
    if (handshake && !session) throw new JpayProtocolError('bad-handshake', 'the terminal did not answer the encryption handshake');
    if (result.token === undefined) throw new JpayProtocolError('bad-packet', 'login response without a token');
    // Refused here rather than on every token command after it; the rule never quotes the token.
    const tokenProblem = findRequestProblem('logout', { token: result.token });
    if (tokenProblem) {
      admin.clearToken();
      throw new JpayProtocolError('bad-packet', `login response token: ${tokenProblem.rule}`);
    }
    admin.setToken(result.token);
    if (session) secure.install(session);
    logger.debug('logged in', { encrypted: session !== undefined });
    return result;
  }
}
