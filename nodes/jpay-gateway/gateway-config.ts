/**
 * The jpay-gateway node's settings (as the editor stores them) → checked gateway options.
 * A bad setting is a JpayValidationError naming it, reported when the node starts.
 * Knows nothing of Node-RED.
 */
import path from 'node:path';
import { JpayValidationError } from '../../lib/errors';
import { GATEWAY_COMMANDS, type GatewayCommand } from '../../lib/gateway/commands';
import { checkTerminalId, normalizePrefix } from '../../lib/publish/topics';

/** One checkbox per command, named after it (`report: true`). */
export type GatewayCommandFlags = Partial<Record<GatewayCommand, boolean>>;

export interface GatewayConfigFields extends GatewayCommandFlags {
  terminalId?: string;
  prefix?: string;
  /** Payments' idempotency journal; empty = `<userDir>/jpay/gateway-<node id>.log`. */
  journalFile?: string;
  publishState?: boolean;
  /** Seconds between state updates at most (default 1; 0 = every change). */
  stateInterval?: string | number;
  homeAssistant?: boolean;
  haPrefix?: string;
}

export interface GatewayConfig {
  terminalId: string;
  prefix: string;
  commands: GatewayCommand[];
  /** Set when payments are enabled. */
  journalFile?: string;
  state: false | { intervalMs: number; homeAssistant?: { prefix: string } };
}

/** Checkboxes never ticked in an older flow: getparameters and testconnection start enabled, like the library. */
const DEFAULT_ON: ReadonlySet<GatewayCommand> = new Set(['getparameters', 'testconnection']);

function text(v: unknown): string {
  return typeof v === 'string' ? v.trim() : '';
}

export function parseGatewayConfig(fields: GatewayConfigFields, where: { nodeId: string; userDir?: string }): GatewayConfig {
  const terminalId = checkTerminalId(text(fields.terminalId));
  const prefix = normalizePrefix(text(fields.prefix) || undefined);
  const commands = GATEWAY_COMMANDS.filter((c) => (fields[c] === undefined ? DEFAULT_ON.has(c) : fields[c] === true));
  const config: GatewayConfig = { terminalId, prefix, commands, state: false };
  if (commands.includes('transaction')) {
    const base = where.userDir ?? process.cwd();
    const given = text(fields.journalFile);
    config.journalFile = given === '' ? path.join(base, 'jpay', `gateway-${where.nodeId.replace(/[^A-Za-z0-9_-]/g, '_')}.log`) : path.resolve(base, given);
  }
  if (fields.publishState !== false) {
    const raw = fields.stateInterval === undefined || String(fields.stateInterval).trim() === '' ? '1' : String(fields.stateInterval).trim();
    const seconds = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
    if (!(seconds >= 0 && seconds <= 3600)) throw new JpayValidationError('stateInterval', 'must be a number of seconds from 0 to 3600');
    config.state = { intervalMs: Math.round(seconds * 1000) };
    if (fields.homeAssistant === true) {
      const haPrefix = text(fields.haPrefix) || 'homeassistant';
      if (/[+#]/.test(haPrefix) || haPrefix.startsWith('/') || haPrefix.endsWith('/')) throw new JpayValidationError('haPrefix', 'must be a topic prefix without +, # or a leading or trailing /');
      config.state.homeAssistant = { prefix: haPrefix };
    }
  }
  return config;
}
