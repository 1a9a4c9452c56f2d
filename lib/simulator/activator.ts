/**
 * The activator port (§10, default 4434). `<reset/>` is served only here and only while
 * a runreset waits: the terminal resets its keys, then asks the activator to sign three
 * device certificates — each request carries a freshly generated RSA public key (hex of
 * the DER SubjectPublicKeyInfo) — queries the config server credentials, and closes.
 * Anything else on this port is answered `notimplemented`.
 */
import { generateKeyPair, X509Certificate, type KeyObject } from 'node:crypto';
import type { Socket } from 'node:net';
import { promisify } from 'node:util';
import type { Packet } from '../codec/packet';
import { PacketSocket } from '../codec/packet-socket';
import {
  buildCertificateRequest,
  buildConfigCredentialsQuery,
  certificateRequestName,
  isCertificateAnswerOk,
  isConfigCredentialsOk,
  parseCertificateAnswer,
  parseConfigCredentialsAnswer,
} from '../protocol';
import { CERTIFICATE_REQUEST_NAMES, type CertificateRequestName } from '../protocol/types';
import { statusPacket, type StatusAnswer } from './context';
import { CommandAbort } from './errors';
import { newKey } from './ids';
import type { ResetSession } from './runreset';
import { TrackedServer } from './server';
import type { Terminal } from './terminal';

const generateRsa = promisify(generateKeyPair);

export class ActivatorServer extends TrackedServer<PacketSocket> {
  /** The RSA public keys sent in the last reset (hex SPKI), by request name. */
  readonly lastKeys = new Map<CertificateRequestName, string>();

  constructor(t: Terminal) {
    super(t, 'activator server');
    this.server.maxConnections = 4;
  }

  protected accept(raw: Socket): void {
    raw.on('error', () => undefined);
    // §10: the indicator turns to 1 when the activator connects, before it says anything.
    const session = this.t.pendingReset;
    if (session && !session.aborted) {
      session.activatorConnected();
      this.t.emitEvent({ type: 'activator', step: 'connected' });
      raw.once('close', () => session.activatorDisconnected());
    }
    const socket = new PacketSocket(raw, { maxFrameSize: this.t.config.maxFrameSize, frameTimeoutMs: this.t.config.timing.frameTimeoutMs });
    socket.on('error', (error) => this.t.emitEvent({ type: 'bad-input', reason: `activator: ${error.message}` }));
    const served = this.serve(socket)
      .catch((error: unknown) => this.t.config.logger(`activator error: ${(error as Error).message}`))
      .finally(() => socket.end());
    this.track(socket, socket, served);
  }

  private async serve(socket: PacketSocket): Promise<void> {
    const { timing } = this.t.config;
    let first: Packet;
    try {
      first = await socket.receive(timing.firstPacketTimeoutMs);
    } catch {
      socket.destroy();
      return;
    }
    if (first.name !== 'reset') {
      await socket.send(statusPacket(first.name, { status: 'notimplemented', errors: ['only <reset/> is served on the activator port'] }));
      return;
    }
    const session = this.t.pendingReset;
    if (!session || session.started || session.aborted) {
      await socket.send(statusPacket('reset', { status: 'failed', errors: ['no runreset is waiting for the activator'] }));
      return;
    }
    session.resetStarted();
    this.t.emitEvent({ type: 'activator', step: 'reset' });
    let outcome: StatusAnswer;
    try {
      await this.initialise(socket, session);
      outcome = { status: 'ok' };
    } catch (error) {
      outcome =
        error instanceof CommandAbort
          ? { status: error.status, errors: error.errors }
          : { status: 'failed', errors: [`activator session failed: ${(error as Error).message}`] };
    }
    this.t.emitEvent({ type: 'activator', step: `finished: ${outcome.status}` });
    session.finish(outcome);
  }

  private async initialise(socket: PacketSocket, session: ResetSession): Promise<void> {
    const t = this.t;
    // 1–2: reset the settings, make a new master key.
    t.hostKeys.clear();
    t.masterKeys = { pin: newKey(), mac: newKey() };
    const deviceIdentifier = t.parameters.devid ?? t.parameters.sn ?? 'SIM';
    const expiries: string[] = [];
    for (const name of CERTIFICATE_REQUEST_NAMES) {
      if (session.aborted) throw new CommandAbort('cancelled', ['runreset was aborted']);
      const { publicKey } = await generateRsa('rsa', { modulusLength: t.config.rsaModulusLength });
      const key = spkiHex(publicKey);
      this.lastKeys.set(name, key);
      const answer = await this.ask(socket, buildCertificateRequest({ name, key, deviceIdentifier }), name);
      const parsed = parseCertificateAnswer(answer);
      if (!isCertificateAnswerOk(parsed)) {
        const why = parsed.status === undefined || parsed.status.toLowerCase() === 'ok' ? 'signed-cert must carry cert and ca as hex' : `the activator answered ${parsed.status}`;
        throw new CommandAbort('verificationfailed', [`${name}: ${why}`]);
      }
      expiries.push(verifyCertificate(name, parsed.cert, publicKey));
      t.emitEvent({ type: 'activator', step: name });
    }
    const answer = await this.ask(socket, buildConfigCredentialsQuery(), 'queryconfigcredentials');
    const conf = parseConfigCredentialsAnswer(answer);
    if (!isConfigCredentialsOk(conf)) {
      throw new CommandAbort('missingdata', ['queryconfigcredentials: cert, sign (hex) and url are required, with no failing status']);
    }
    let host: string;
    try {
      host = new URL(conf.url).host;
    } catch {
      throw new CommandAbort('invalidarguments', ['queryconfigcredentials: url is not a URL']);
    }
    t.emitEvent({ type: 'activator', step: 'queryconfigcredentials' });
    t.parameters = { ...t.parameters, cshost: host };
    const [cc, kc, ac] = expiries;
    if (cc) t.parameters.cccert = cc;
    if (kc) t.parameters.kccert = kc;
    if (ac) t.parameters.accert = ac;
  }

  private async ask(socket: PacketSocket, request: Packet, name: string): Promise<Packet> {
    await socket.send(request);
    try {
      const answer = await socket.receive(this.t.config.timing.answerTimeoutMs);
      const same = answer.name === request.name || certificateRequestName(answer.name) === certificateRequestName(request.name);
      if (!same) throw new CommandAbort('failed', [`expected <${request.name}>, got <${answer.name}>`]);
      return answer;
    } catch (error) {
      if (error instanceof CommandAbort) throw error;
      throw new CommandAbort('timeout', [`${name}: no answer from the activator (${(error as Error).message})`]);
    }
  }
}

export function spkiHex(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'der' }).toString('hex').toUpperCase();
}

/**
 * When cert is a real PEM certificate it must carry the key the terminal sent; its expiry
 * (dd.mm.yyyy) is returned for getparameters.
 */
function verifyCertificate(name: string, cert: string, key: KeyObject): string {
  const pem = Buffer.from(cert, 'hex').toString('latin1');
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) return '';
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(pem);
  } catch {
    throw new CommandAbort('verificationfailed', [`${name}: cert is not a valid PEM certificate`]);
  }
  if (!x509.publicKey.equals(key)) throw new CommandAbort('verificationfailed', [`${name}: cert does not carry the terminal's key`]);
  const to = new Date(x509.validTo);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(to.getUTCDate())}.${two(to.getUTCMonth() + 1)}.${to.getUTCFullYear()}`;
}
