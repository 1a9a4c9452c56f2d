/**
 * The admin session (§5–§7): the password the client was given (changed by a successful
 * changepassword) and the token of the last successful login. Neither ever leaves this
 * object except into a request packet.
 */
import { JpayValidationError } from '../errors';
import type { Redactor } from './redact';

export class AdminSession {
  #password: string | undefined;
  #token: string | undefined;

  constructor(
    password: string | undefined,
    private readonly redactor: Redactor,
  ) {
    this.#password = password;
    redactor.add(password);
  }

  get hasPassword(): boolean {
    return this.#password !== undefined;
  }

  get hasToken(): boolean {
    return this.#token !== undefined;
  }

  /** The admin password, or JpayValidationError('password') naming what needed it. */
  password(purpose: string): string {
    if (this.#password === undefined) throw new JpayValidationError('password', `is required for ${purpose}`);
    return this.#password;
  }

  setPassword(password: string): void {
    this.redactor.add(password);
    this.#password = password;
  }

  token(): string | undefined {
    return this.#token;
  }

  setToken(token: string): void {
    this.redactor.add(token);
    this.#token = token;
  }

  clearToken(): void {
    this.#token = undefined;
  }
}
