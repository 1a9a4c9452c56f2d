/**
 * Runs one admin command on a client and shapes its result as plain data (the
 * admin node's output, the gateway's answer). The
 * result never carries the secret the command was given (new password, key material).
 */
import type { MessageHandlers } from '../client/message-dispatch';
import type { MasterKeysReceipt, ResetKeepAliveMessage, TerminalParameters, WorkKeysReceipt } from '../protocol/types';

export const ADMIN_COMMANDS = [
  'getparameters',
  'testconnection',
  'updateconfiguration',
  'loadworkkeys',
  'loadmasterkeys',
  'changepassword',
  'resetpassword',
  'sethostkey',
  'runreset',
] as const;
export type AdminCommand = (typeof ADMIN_COMMANDS)[number];

export type AdminRequest =
  | { command: Exclude<AdminCommand, 'changepassword' | 'sethostkey'> }
  | { command: 'changepassword'; newPassword: string }
  | { command: 'sethostkey'; name: string; material: string };

/** The part of JpayClient the admin commands use. */
export interface AdminClient {
  getParameters(): Promise<TerminalParameters>;
  testConnection(): Promise<void>;
  updateConfiguration(): Promise<void>;
  loadWorkKeys(): Promise<WorkKeysReceipt>;
  loadMasterKeys(): Promise<MasterKeysReceipt>;
  changePassword(newPassword: string): Promise<void>;
  resetPassword(): Promise<void>;
  setHostKey(name: string, materialBase64: string): Promise<void>;
  runReset(opts?: { signal?: AbortSignal; handlers?: MessageHandlers }): Promise<void>;
}

export type AdminPayload =
  | { command: 'getparameters'; ok: true; parameters: TerminalParameters }
  | { command: 'loadworkkeys'; ok: true; receipt: WorkKeysReceipt }
  | { command: 'loadmasterkeys'; ok: true; receipt: MasterKeysReceipt }
  | { command: 'sethostkey'; ok: true; name: string }
  | { command: Exclude<AdminCommand, 'getparameters' | 'loadworkkeys' | 'loadmasterkeys' | 'sethostkey'>; ok: true };

export interface AdminRunOptions {
  /** runreset: aborts the initialisation at the next keep-alive. */
  signal?: AbortSignal;
  /** runreset: each keep-alive of the terminal while it waits for the activator. */
  onResetKeepAlive?(m: ResetKeepAliveMessage): void;
}

/** Rejects with the client's typed errors (JpayStatusError for a non-ok status). */
export async function runAdminCommand(client: AdminClient, req: AdminRequest, options: AdminRunOptions = {}): Promise<AdminPayload> {
  switch (req.command) {
    case 'getparameters':
      return { command: req.command, ok: true, parameters: await client.getParameters() };
    case 'loadworkkeys':
      return { command: req.command, ok: true, receipt: await client.loadWorkKeys() };
    case 'loadmasterkeys':
      return { command: req.command, ok: true, receipt: await client.loadMasterKeys() };
    case 'testconnection':
      await client.testConnection();
      return { command: req.command, ok: true };
    case 'updateconfiguration':
      await client.updateConfiguration();
      return { command: req.command, ok: true };
    case 'changepassword':
      await client.changePassword(req.newPassword);
      return { command: req.command, ok: true };
    case 'resetpassword':
      await client.resetPassword();
      return { command: req.command, ok: true };
    case 'sethostkey':
      await client.setHostKey(req.name, req.material);
      return { command: req.command, ok: true, name: req.name };
    case 'runreset': {
      const onKeepAlive = options.onResetKeepAlive;
      const handlers: MessageHandlers = {
        resetKeepAlive: (m) => {
          onKeepAlive?.(m);
          return true;
        },
      };
      await client.runReset(options.signal ? { signal: options.signal, handlers } : { handlers });
      return { command: req.command, ok: true };
    }
  }
}
