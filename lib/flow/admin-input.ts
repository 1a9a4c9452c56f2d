/**
 * jpay-admin's input → one admin command with its parameters. The command comes from
 * `msg.command` or the node's setting; secrets (a new password, host key material) come
 * only from `msg.payload` and are taken out of the msg at once (see redactAdminPayload).
 * Knows nothing of Node-RED.
 */
import { JpayValidationError } from '../errors';

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

/** Commands that reset the terminal or its password: only with the node's explicit permission. */
export const RESET_COMMANDS: readonly AdminCommand[] = ['resetpassword', 'runreset'];

/** Fields of msg.payload that hold secrets. */
export const SECRET_PAYLOAD_FIELDS = ['newPassword', 'material'] as const;

export type AdminRequest =
  | { command: Exclude<AdminCommand, 'changepassword' | 'sethostkey'> }
  | { command: 'changepassword'; newPassword: string }
  | { command: 'sethostkey'; name: string; material: string };

export interface AdminConfig {
  /** A command, or '' / 'msg' = take msg.command. */
  command?: string;
  /** Default key name for sethostkey. */
  hostKeyName?: string;
  /** Allow resetpassword and runreset. */
  allowReset?: boolean;
}

export function isAdminCommand(v: unknown): v is AdminCommand {
  return typeof v === 'string' && (ADMIN_COMMANDS as readonly string[]).includes(v);
}

function fail(field: string, rule: string): never {
  throw new JpayValidationError(field, rule);
}

function payloadObject(payload: unknown): Record<string, unknown> {
  return typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? (payload as Record<string, unknown>) : {};
}

export function resolveAdminCommand(msgCommand: unknown, config: AdminConfig): AdminCommand {
  if (msgCommand !== undefined && msgCommand !== null && msgCommand !== '') {
    const c = typeof msgCommand === 'string' ? msgCommand.trim().toLowerCase() : msgCommand;
    if (!isAdminCommand(c)) fail('msg.command', `must be one of ${ADMIN_COMMANDS.join(', ')}`);
    return c;
  }
  const configured = config.command ?? '';
  if (configured === '' || configured === 'msg') fail('msg.command', `is required (${ADMIN_COMMANDS.join(', ')})`);
  if (!isAdminCommand(configured)) fail('command', `must be one of ${ADMIN_COMMANDS.join(', ')}`);
  return configured;
}

/** Never echoes a secret value in an error: rules only. */
export function buildAdminRequest(msg: { command?: unknown; payload?: unknown }, config: AdminConfig): AdminRequest {
  const command = resolveAdminCommand(msg.command, config);
  if (RESET_COMMANDS.includes(command) && config.allowReset !== true) {
    fail('command', `${command} is not allowed: tick "Allow reset commands" in the node's settings`);
  }
  const payload = payloadObject(msg.payload);
  if (command === 'changepassword') {
    const newPassword = payload.newPassword;
    if (typeof newPassword !== 'string' || !/^\d{8}$/.test(newPassword)) fail('msg.payload.newPassword', 'must be a string of 8 digits');
    return { command, newPassword };
  }
  if (command === 'sethostkey') {
    const name = payload.name ?? (config.hostKeyName?.trim() || undefined);
    if (typeof name !== 'string' || name.trim() === '') fail('msg.payload.name', 'is required (the host key name)');
    const material = payload.material;
    if (typeof material !== 'string' || material === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(material) || material.length % 4 !== 0) {
      fail('msg.payload.material', 'must be the key material in Base64');
    }
    return { command, name: name.trim(), material };
  }
  return { command };
}

/** A copy of msg.payload without its secret fields (the msg a Catch node may see keeps no secret). */
export function redactAdminPayload(payload: unknown): unknown {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return payload;
  const copy: Record<string, unknown> = { ...(payload as Record<string, unknown>) };
  for (const field of SECRET_PAYLOAD_FIELDS) delete copy[field];
  return copy;
}
