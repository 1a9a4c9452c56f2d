/**
 * Admin commands (§6, §8.1–§8.8, §8.14, §8.15): login (with the optional ECDHE handshake
 * of §9), logout, changepassword, updateconfiguration, loadworkkeys, loadmasterkeys,
 * testconnection, getparameters, resetpassword, sethostkey. Token checks happen in
 * access.ts before these run.
 */
import { decodeClientHandshake, deriveSessionKey, encodeServerHandshake, generateEphemeralKeyPair } from '../codec/crypto';
import type { RequestParams } from '../protocol/types';
import type { Answer, CommandContext } from './context';
import { unreachableHost } from './host';
import { newKey, newRrn, newToken } from './ids';
import { DEFAULT_PASSWORD } from './options';

export async function handleLogin(ctx: CommandContext, params: RequestParams['login']): Promise<Answer<'login'>> {
  const t = ctx.terminal;
  // A wrong password changes nothing: no token, and the session key stays.
  if (!t.log.checkPassword(params.password)) return { status: 'notauthorized' };
  if (params.clientHandshake === undefined) {
    t.token = newToken();
    return { status: 'ok', token: t.token };
  }
  let peer: Uint8Array;
  try {
    peer = decodeClientHandshake(params.clientHandshake);
  } catch (error) {
    return { status: 'formaterror', errors: [`client-handshake: ${(error as Error).message}`] };
  }
  const pair = generateEphemeralKeyPair();
  const key = deriveSessionKey(pair.privateKey, peer);
  t.sessionKey = key;
  t.token = newToken();
  return { status: 'ok', token: t.token, serverHandshake: encodeServerHandshake(pair.publicKey), responseKey: key };
}

export async function handleLogout(ctx: CommandContext): Promise<Answer<'logout'>> {
  // Ends the token, not the session key (PROTOCOL.md §8).
  ctx.terminal.token = undefined;
  return { status: 'ok' };
}

export async function handleChangePassword(ctx: CommandContext, params: RequestParams['changepassword']): Promise<Answer<'changepassword'>> {
  const t = ctx.terminal;
  if (!t.log.checkPassword(params.password)) return { status: 'notauthorized' };
  await t.log.setPassword(params.newPassword);
  return { status: 'ok' };
}

export async function handleResetPassword(ctx: CommandContext): Promise<Answer<'resetpassword'>> {
  await ctx.terminal.log.setPassword(DEFAULT_PASSWORD);
  return { status: 'ok' };
}

export async function handleUpdateConfiguration(ctx: CommandContext): Promise<Answer<'updateconfiguration'>> {
  return (await unreachableHost(ctx, 'the configuration server could not be reached')) ?? { status: 'ok' };
}

export async function handleLoadWorkKeys(ctx: CommandContext): Promise<Answer<'loadworkkeys'>> {
  const failed = await unreachableHost(ctx, 'the acquirer host could not be reached');
  if (failed) return failed;
  const now = ctx.terminal.now();
  return { status: 'ok', receipt: { macChangeRrn: newRrn(now), netChangeRrn: newRrn(now) } };
}

export async function handleLoadMasterKeys(ctx: CommandContext): Promise<Answer<'loadmasterkeys'>> {
  const t = ctx.terminal;
  const failed = await unreachableHost(ctx, 'the key loading server could not be reached');
  if (failed) return failed;
  t.masterKeys = { pin: newKey(), mac: newKey() };
  return { status: 'ok', receipt: t.masterKcvs() };
}

export async function handleTestConnection(ctx: CommandContext): Promise<Answer<'testconnection'>> {
  return (await unreachableHost(ctx, 'the acquirer host could not be reached')) ?? { status: 'ok' };
}

export async function handleGetParameters(ctx: CommandContext): Promise<Answer<'getparameters'>> {
  return { status: 'ok', parameters: ctx.terminal.parameters };
}

/**
 * Largest host key accepted. §8.15 sets no length (its example is cut off; this project's
 * own example is 8 bytes); SAM AV2 keys are 16 or 24 bytes, AES-256 would be 32. The
 * bound only keeps a client from parking arbitrary data in the terminal.
 */
export const MAX_HOST_KEY_BYTES = 64;

/** Host key for SAM AV2 (§8.15): any non-empty Base64 key up to MAX_HOST_KEY_BYTES. */
export async function handleSetHostKey(ctx: CommandContext, params: RequestParams['sethostkey']): Promise<Answer<'sethostkey'>> {
  // The request schema has already refused what is not Base64 (formaterror).
  const material = Buffer.from(params.material, 'base64');
  if (material.length === 0 || material.length > MAX_HOST_KEY_BYTES) {
    return { status: 'invalidarguments', errors: [`material: must be a Base64 key of 1 to ${MAX_HOST_KEY_BYTES} bytes`] };
  }
  ctx.terminal.hostKeys.set(params.name, material);
  return { status: 'ok' };
}
