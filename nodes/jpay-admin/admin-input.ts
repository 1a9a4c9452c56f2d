/**
 * jpay-admin's input → one admin command with its parameters. The command comes from
 * `msg.command` or the node's setting; secrets (a new password, host key material) come
 * only from `msg.payload` and are taken out of the msg at once (see redactAdminPayload).
 * Their rules are the protocol's (lib/protocol/schemas.ts); errors name the msg field.
 * Knows nothing of Node-RED.
 */
import { JpayValidationError } from '../../lib/errors';
import { ADMIN_COMMANDS, type AdminCommand, type AdminRequest } from '../../lib/results/admin';
import { validateSendParams } from '../../lib/protocol/validation';

export { ADMIN_COMMANDS, type AdminCommand, type AdminRequest };

/** Commands that reset the terminal or its password: only with the node's explicit permission. */
export const RESET_COMMANDS: readonly AdminCommand[] = ['resetpassword', 'runreset'];

/** Fields of msg.payload that hold secrets. */
export const SECRET_PAYLOAD_FIELDS = ['newPassword', 'material'] as const;

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
  const params: Record<string, unknown> = {};
  if (command === 'changepassword') params.newPassword = payload.newPassword;
  if (command === 'sethostkey') {
    const name = payload.name ?? (config.hostKeyName?.trim() || undefined);
    params.name = typeof name === 'string' ? name.trim() : name;
    params.material = payload.material;
  }
  validateSendParams(command, params, (field) => `msg.payload.${field}`);
  return { command, ...params } as AdminRequest;
}

/** A copy of msg.payload without its secret fields (the msg a Catch node may see keeps no secret). */
export function redactAdminPayload(payload: unknown): unknown {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return payload;
  const copy: Record<string, unknown> = { ...(payload as Record<string, unknown>) };
  for (const field of SECRET_PAYLOAD_FIELDS) delete copy[field];
  return copy;
}
