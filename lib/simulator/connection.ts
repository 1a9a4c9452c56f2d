/**
 * One client connection = one command (§3): read the command (decrypting it if it is
 * encrypted), run it with its message dispatch, send the response (encrypted when the
 * command was), close. Broken input gets an error answer or a closed connection and
 * never takes the simulator down. Response-stage faults are applied here.
 */
import type { Socket } from 'node:net';
import { decryptPacket, encryptPacket, isEncryptedPacket } from '../codec/crypto';
import { encodeFrame } from '../codec/frame';
import { serializePacket } from '../codec/xml';
import type { Packet } from '../codec/packet';
import { PacketSocket, ReceiveTimeoutError } from '../codec/packet-socket';
import { JpayProtocolError } from '../errors';
import { isCommandName, parseRequest, responseToPacket } from '../protocol';
import type { CommandName } from '../protocol/types';
import { EFFECT_COMMANDS, dispatch } from './commands';
import { statusPacket, type Answer, type CommandContext } from './context';
import { MessageDispatch } from './message-dispatch';
import { ClientGone, CommandAbort, DropConnection } from './errors';
import { CommandFaults } from './faults';
import { RESPONSE_FAULTS } from './outcome';
import type { Terminal } from './terminal';

export function remoteOf(socket: Socket): string {
  const address = socket.remoteAddress ?? 'unknown';
  return `${address.includes(':') ? `[${address}]` : address}:${socket.remotePort ?? '?'}`;
}

const GARBAGE = Buffer.from('\u0000\u00ff<<garbage: this is not an XML packet>>\u0000', 'latin1');

/**
 * The framed response, or its size when it is above the response limit (the limit is
 * larger than the one on incoming frames: a full report is the biggest thing sent).
 */
function responseFrame(packet: Packet, limit: number): Buffer | number {
  const payload = Buffer.from(serializePacket(packet), 'utf8');
  return payload.length > limit ? payload.length : encodeFrame(payload, limit);
}

export class Connection {
  readonly socket: PacketSocket;
  /** `address:port` of the client, for log lines. */
  readonly remote: string;
  private lingerTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly t: Terminal,
    raw: Socket,
  ) {
    this.remote = remoteOf(raw);
    const { timing, maxFrameSize } = t.config;
    this.socket = new PacketSocket(raw, { maxFrameSize, frameTimeoutMs: timing.frameTimeoutMs });
    this.socket.on('error', (error) => this.t.emitEvent({ type: 'bad-input', reason: error.message }));
    this.socket.on('close', () => clearTimeout(this.lingerTimer));
    raw.on('error', () => undefined);
  }

  /** Closed, or being closed, by either side. */
  get destroyed(): boolean {
    return this.socket.isClosed || this.socket.socket.destroyed;
  }

  destroy(): void {
    clearTimeout(this.lingerTimer);
    this.socket.destroy();
  }

  /** Serves the connection's one command; never rejects. */
  async serve(): Promise<void> {
    let first: Packet;
    const deadline = this.t.config.timing.firstPacketTimeoutMs;
    try {
      first = await this.socket.receive(deadline);
    } catch (error) {
      if (error instanceof JpayProtocolError && error.code === 'bad-xml') {
        this.t.emitEvent({ type: 'bad-input', reason: error.message });
        // The command's name is unknown: the answer's root says what went wrong.
        await this.sendAndClose(encodeFrame(serializePacket(statusPacket('error', { status: 'formaterror', errors: [error.message] }))));
        return;
      }
      if (error instanceof ReceiveTimeoutError) {
        const reason = `connection from ${this.remote} closed: no command within ${deadline} ms (firstPacketTimeoutMs)`;
        this.t.emitEvent({ type: 'bad-input', reason });
        this.t.config.logger(reason);
      }
      this.destroy();
      return;
    }
    try {
      await this.handle(first);
    } catch (error) {
      // Only a bug gets here; the connection goes, the simulator stays.
      this.t.config.logger(`internal error: ${(error as Error).stack ?? String(error)}`);
      this.destroy();
    }
  }

  private async handle(received: Packet): Promise<void> {
    const t = this.t;
    const started = Date.now();
    const name = received.name;
    let key: Buffer | undefined;
    let plain = received;
    if (isEncryptedPacket(received)) {
      if (!t.sessionKey) {
        await this.finish(name, { status: 'failed', errors: ['no secure session: log in with a client-handshake first'] }, undefined, started);
        return;
      }
      key = t.sessionKey;
      try {
        plain = decryptPacket(received, key);
      } catch {
        await this.finish(name, { status: 'failed', errors: ['the command could not be decrypted with the session key'] }, undefined, started);
        return;
      }
    }
    const parsed = parseRequest(plain);
    if (!parsed.ok) {
      const { status, field, reason } = parsed.failure;
      await this.finish(name, { status, errors: [`${field}: ${reason}`] }, key, started);
      return;
    }
    const command = parsed.request.command;
    const ctx: CommandContext = {
      command,
      terminal: t,
      faults: new CommandFaults(t.faults, command),
      messages: new MessageDispatch(this.socket, key, t.config.timing, (message, answer) => {
        const code = message.name === 'display' ? message.message.code : undefined;
        t.emitEvent({ type: 'message', name: message.name, ...(code ? { code } : {}), ...(answer ? { answer } : {}) });
      }),
    };
    if (!EFFECT_COMMANDS.has(command) && ctx.faults.take('drop-before-record')) {
      t.emitEvent({ type: 'fault', kind: 'drop-before-record', command });
      this.destroy();
      return;
    }
    let result: Answer<CommandName>;
    try {
      result = await dispatch(ctx, parsed.request);
    } catch (error) {
      if (error instanceof CommandAbort) result = { status: error.status, errors: error.errors };
      else if (error instanceof DropConnection) {
        this.destroy();
        return;
      } else if (error instanceof ClientGone) {
        t.emitEvent({ type: 'command', command, status: 'client-gone', encrypted: key !== undefined, ms: Date.now() - started });
        this.destroy();
        return;
      } else {
        t.config.logger(`internal error in ${command}: ${(error as Error).stack ?? String(error)}`);
        result = { status: 'systemerror', errors: ['internal simulator error'] };
      }
    }
    if (await this.responseFault(ctx, result, key)) return;
    await this.finish(command, result, key, started);
  }

  /** Applies a response-stage fault; true when the response must not be sent normally. */
  private async responseFault(ctx: CommandContext, result: Answer<CommandName>, key: Buffer | undefined): Promise<boolean> {
    for (const kind of RESPONSE_FAULTS) {
      const fault = ctx.faults.take(kind);
      if (!fault) continue;
      this.t.emitEvent({ type: 'fault', kind, command: ctx.command });
      switch (kind) {
        case 'drop-before-record':
        case 'drop-after-record':
          this.destroy();
          return true;
        case 'delay-response':
          try {
            await ctx.messages.silent(fault.ms ?? this.t.config.timing.faultDelayMs);
          } catch {
            this.destroy();
            return true;
          }
          return false;
        case 'stall':
          await ctx.messages.untilClosed();
          return true;
        case 'garbage-frame':
          await this.sendAndClose(encodeFrame(GARBAGE));
          return true;
        case 'oversized-frame': {
          const header = Buffer.alloc(4);
          header.writeUInt32BE(0x7fffffff, 0);
          await this.sendAndClose(Buffer.concat([header, Buffer.from(`<${ctx.command}><status>`)]));
          return true;
        }
        case 'half-frame': {
          const frame = encodeFrame(serializePacket(this.responsePacket(ctx.command, result, key)));
          await this.sendAndClose(frame.subarray(0, Math.max(5, Math.floor(frame.length / 2))), true);
          return true;
        }
        default:
          return false;
      }
    }
    return false;
  }

  /** Through the protocol's response writer; a root that is no command (bad input) gets a status-only answer. */
  private responsePacket(command: string, result: Answer<CommandName>, key: Buffer | undefined): Packet {
    const response = isCommandName(command) ? responseToPacket(command, result) : statusPacket(command, result);
    const sealWith = result.responseKey ?? key;
    return sealWith ? encryptPacket(response, sealWith) : response;
  }

  private async finish(command: string, answered: Answer<CommandName>, key: Buffer | undefined, started: number): Promise<void> {
    let result = answered;
    let frame = responseFrame(this.responsePacket(command, result, key), this.t.config.maxResponseFrameSize);
    if (typeof frame === 'number') {
      const reason = `the ${command} response of ${frame} bytes exceeds the simulator's limit of ${this.t.config.maxResponseFrameSize} (maxResponseFrameSize)`;
      this.t.config.logger(reason);
      result = { status: 'systemerror', errors: [reason] };
      frame = encodeFrame(serializePacket(this.responsePacket(command, result, key)));
    }
    this.t.emitEvent({
      type: 'command',
      command,
      status: result.status,
      encrypted: (key ?? result.responseKey) !== undefined,
      ms: Date.now() - started,
    });
    this.t.config.logger(`${command} → ${result.status}`);
    await this.sendAndClose(frame);
  }

  /** Sends a frame (the response, or a broken one a fault makes) and closes: half-close, or at once when `abrupt`. */
  private async sendAndClose(frame: Buffer, abrupt = false): Promise<void> {
    try {
      await this.socket.sendRaw(frame);
    } catch {
      // The client is gone already.
      this.destroy();
      return;
    }
    if (abrupt) this.destroy();
    else this.closeGracefully();
  }

  /** Half-close; the client closes its side. A client that never does is cut off after the first-packet deadline. */
  private closeGracefully(): void {
    this.socket.end();
    if (this.socket.isClosed) return;
    const deadline = this.t.config.timing.firstPacketTimeoutMs;
    this.lingerTimer = setTimeout(() => {
      const reason = `connection from ${this.remote} closed: not closed by the client within ${deadline} ms of the response (firstPacketTimeoutMs)`;
      this.t.emitEvent({ type: 'bad-input', reason });
      this.t.config.logger(reason);
      this.destroy();
    }, deadline);
  }
}
