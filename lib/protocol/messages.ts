/**
 * Terminal → client messages during a command (§8, §8.9, §8.10, §10) and the client's
 * answers, both directions; plus the terminal ↔ activator session of runreset (§10).
 */
import { childElement, childList, childText, packet, Packet, XmlElement } from '../codec/packet';
import { JpayProtocolError, JpayValidationError } from '../errors';
import { asElement, decodeBase64, fieldTable, nonEmptyText, put, setIf, text, writeFields } from './fields';
import {
  CardMessage,
  CardRequest,
  CERTIFICATE_REQUEST_NAMES,
  CertificateAnswer,
  CertificateRequest,
  CertificateRequestName,
  ConfigCredentials,
  DisplayMessage,
  EmvTagValue,
  TerminalMessage,
} from './types';
import { amountFromWire } from './values';
import { validateTagValue } from './emv-tags';

/** MIFARE Classic block size. */
export const CARD_BLOCK_SIZE = 16;

function bad(message: string, where: string): never {
  throw new JpayProtocolError('bad-packet', `${where}: ${message}`);
}

/** A block number (0..255) as sent, or what is wrong with it. */
function blockIdOrProblem(raw: string | undefined): number | string {
  if (raw === undefined || raw === '') return 'block-id is missing';
  if (!/^\d{1,3}$/.test(raw) || Number(raw) > 255) return 'block-id must be an integer 0..255';
  return Number(raw);
}

function payload(raw: string | undefined, where: string): Buffer | undefined {
  if (raw === undefined || raw === '') return undefined;
  const data = decodeBase64(raw);
  if (data === undefined) bad('payload is not valid Base64', where);
  return data;
}

function tags(container: XmlElement | undefined, where: string): EmvTagValue[] {
  return childList(container, 'tag').map((node, i) => {
    const el = asElement(node);
    const name = el['@name'];
    const value = el['@value'];
    if (typeof name !== 'string' || name.trim() === '') bad(`tag ${i} has no name`, where);
    if (typeof value !== 'string') bad(`tag ${name.trim()} has no value`, where);
    return { name: name.trim(), value: value.trim() };
  });
}

function tagsElement(list: readonly EmvTagValue[]): XmlElement {
  return { tag: list.map((t) => ({ '@name': t.name, '@value': t.value })) };
}

// ---- Messages ----

/**
 * The display message's elements in the document's order (DisplayMessage is declared from
 * them). `value` is an amount only when value-qualifier is `10` (read below); on the wire an
 * older firmware names `language` `lang`.
 */
export const DISPLAY_ROWS = [
  // code: the EMV message identifier (`15`, `03`, `D1`…); language: the preferred
  // languages, ISO-639 pairs (`ruen`); msg: the terminal's own text, if it sent one.
  'code',
  'language',
  ['msg', 'text', 'text'],
  // The kernel UI status (`00`–`05`).
  ['status', 'uiStatus', 'text'],
  'hold-time',
  'value-qualifier',
  // The amount to show, minor units, when value-qualifier is `10`.
  ['value', 'amount', 'amount'],
  'currency',
] as const;
const DISPLAY_FIELDS = fieldTable<DisplayMessage>(...DISPLAY_ROWS);

function parseDisplay(body: XmlElement): DisplayMessage {
  const code = nonEmptyText(body, 'code');
  if (code === undefined) bad('code is missing', 'display');
  const m: DisplayMessage = { code };
  for (const [wire, key, kind] of DISPLAY_FIELDS) if (kind === 'text') setIf(m, key, nonEmptyText(body, wire));
  setIf(m, 'language', m.language ?? nonEmptyText(body, 'lang'));
  const value = nonEmptyText(body, 'value');
  if (m.valueQualifier === '10' && value !== undefined) {
    try {
      m.amount = amountFromWire(value, 'value');
    } catch {
      bad('value must be an amount (up to 12 digits) when value-qualifier is 10', 'display');
    }
  }
  return m;
}

/**
 * Decision (card results without a status): §8.9 says a read result is ok with the block in
 * `payload`, else failed, and a write result ok or failed; its examples always carry the
 * status. A result without one is read by what it carries: a read with a block is ok, a
 * read without one failed; a write nobody confirmed counts as not written (`missing`) —
 * a driver that must know reads the block back.
 */
function parseCardMessage(body: XmlElement): CardMessage {
  const code = nonEmptyText(body, 'code')?.toLowerCase();
  switch (code) {
    case undefined:
      return bad('code is missing', 'card');
    case 'open': {
      const blockId = blockIdOrProblem(text(body, 'block-id'));
      if (typeof blockId === 'string') bad(blockId, 'card open');
      const m: CardMessage = { code: 'open', blockId };
      const data = payload(text(body, 'payload'), 'card open');
      return data === undefined ? m : { ...m, data };
    }
    case 'read': {
      const data = payload(text(body, 'payload'), 'card read');
      const s = nonEmptyText(body, 'status') ?? (data === undefined ? 'failed' : 'ok');
      const m: CardMessage = { code: 'read', ok: s === 'ok', status: s };
      return data === undefined ? m : { ...m, data };
    }
    case 'write': {
      const s = nonEmptyText(body, 'status') ?? 'missing';
      return { code: 'write', ok: s === 'ok', status: s };
    }
    default:
      return bad('code must be open, read or write', 'card');
  }
}

/**
 * A terminal message → its typed form; undefined for a name that is not a message the
 * library knows (answer it with notimplemented). Throws JpayProtocolError('bad-packet')
 * for a known message that is malformed.
 */
export function parseMessage(p: Packet): TerminalMessage | undefined {
  const b = p.body;
  switch (p.name) {
    case 'keepalive':
      return { name: 'keepalive' };
    case 'keep-alive': {
      const raw = nonEmptyText(b, 'reset-connected-indicator');
      if (raw !== undefined && !['0', '1', 'true', 'false'].includes(raw.toLowerCase())) {
        bad('reset-connected-indicator must be 0 or 1', 'keep-alive');
      }
      return { name: 'keep-alive', message: { activatorConnected: raw === '1' || raw?.toLowerCase() === 'true' } };
    }
    case 'display':
      return { name: 'display', message: parseDisplay(b) };
    case 'dex':
      return { name: 'dex', message: { kernelTags: tags(childElement(b, 'kernel-tags'), 'dex') } };
    case 'displayqrcode': {
      const status = nonEmptyText(b, 'status')?.toLowerCase();
      if (status === 'hide') return { name: 'displayqrcode', message: { show: false } };
      if (status !== 'show') bad('status must be show or hide', 'displayqrcode');
      const url = nonEmptyText(b, 'url');
      if (url === undefined) bad('url is missing', 'displayqrcode');
      return { name: 'displayqrcode', message: { show: true, url } };
    }
    case 'card':
      return { name: 'card', message: parseCardMessage(b) };
    default:
      return undefined;
  }
}

/** `<code>`, then open's `block-id` or a result's `status`, then any `payload`. */
function cardMessageToElement(m: CardMessage): XmlElement {
  const el: XmlElement = { code: m.code };
  if (m.code === 'open') el['block-id'] = String(checkBlockId(m.blockId, 'blockId'));
  else el.status = m.status;
  if (m.code !== 'write') put(el, 'payload', m.data?.toString('base64'));
  return el;
}

/** Terminal side: a typed message → its packet (the inverse of parseMessage). */
export function messageToPacket(m: TerminalMessage): Packet {
  switch (m.name) {
    case 'keepalive':
      return packet('keepalive');
    case 'keep-alive':
      return packet('keep-alive', { 'reset-connected-indicator': m.message.activatorConnected ? '1' : '0' });
    case 'display':
      return packet('display', writeFields(m.message, DISPLAY_FIELDS));
    case 'dex':
      return packet('dex', { 'kernel-tags': tagsElement(m.message.kernelTags) });
    case 'displayqrcode': {
      const body: XmlElement = { status: m.message.show ? 'show' : 'hide' };
      if (m.message.show) put(body, 'url', m.message.url);
      return packet('displayqrcode', body);
    }
    case 'card':
      return packet('card', cardMessageToElement(m.message));
  }
}

// ---- Answers ----

/** `<name><status>…</status></name>`: the answer to keepalive, keep-alive, display, displayqrcode, or an unknown message. */
export function buildMessageAnswer(name: string, status: string): Packet {
  return packet(name, { status });
}

export function parseMessageAnswer(p: Packet): { name: string; status: string } {
  return { name: p.name, status: (childText(p.body, 'status') ?? '').trim() };
}

/**
 * `<dex><status/><terminal-tags><tag name value/>…</terminal-tags></dex>`. Each tag is
 * checked with validateTagValue (JpayValidationError naming `terminalTags[i]`).
 */
export function buildDexAnswer(status: string, tagList: readonly EmvTagValue[] = []): Packet {
  tagList.forEach((t, i) => {
    const check = validateTagValue(t.name, t.value);
    if (!check.ok) throw new JpayValidationError(`terminalTags[${i}]`, check.reason);
  });
  const body: XmlElement = { status };
  if (tagList.length > 0) body['terminal-tags'] = tagsElement(tagList);
  return packet('dex', body);
}

/** Terminal side. Throws JpayProtocolError('bad-packet') for a tag without name or value. */
export function parseDexAnswer(p: Packet): { status: string; terminalTags: EmvTagValue[] } {
  return {
    status: (childText(p.body, 'status') ?? '').trim(),
    terminalTags: tags(childElement(p.body, 'terminal-tags'), 'dex answer'),
  };
}

function checkBlockId(id: number, field: string): number {
  if (!Number.isInteger(id) || id < 0 || id > 255) throw new JpayValidationError(field, 'must be an integer 0..255');
  return id;
}

/**
 * The client's answer to a card message (the next card request). A write carries exactly
 * one 16-byte block; notimplemented is `<card><status>notimplemented</status></card>`.
 */
export function buildCardAnswer(req: CardRequest): Packet {
  switch (req.code) {
    case 'read':
      return packet('card', { code: 'read', 'block-id': String(checkBlockId(req.blockId, 'blockId')) });
    case 'write': {
      if (!Buffer.isBuffer(req.data) || req.data.length !== CARD_BLOCK_SIZE) {
        throw new JpayValidationError('data', `must be a Buffer of exactly ${CARD_BLOCK_SIZE} bytes (one block)`);
      }
      return packet('card', {
        code: 'write',
        'block-id': String(checkBlockId(req.blockId, 'blockId')),
        payload: req.data.toString('base64'),
      });
    }
    case 'close': {
      const body: XmlElement = { code: 'close' };
      if (req.receipt !== undefined) body.receipt = Object.keys(req.receipt).length === 0 ? '' : req.receipt;
      return packet('card', body);
    }
    case 'notimplemented':
      return packet('card', { status: 'notimplemented' });
    default:
      throw new JpayValidationError('code', 'must be read, write, close or notimplemented');
  }
}

/** Terminal side: the client's card answer → the next card request, or why it is invalid. */
export function parseCardAnswer(p: Packet): CardRequest | { code: 'invalid'; reason: string } {
  const invalid = (reason: string): { code: 'invalid'; reason: string } => ({ code: 'invalid', reason });
  if (p.name !== 'card') return invalid('root element must be card');
  const b = p.body;
  const code = nonEmptyText(b, 'code')?.toLowerCase();
  if (code === undefined) {
    const status = nonEmptyText(b, 'status')?.toLowerCase();
    return status === 'notimplemented' ? { code: 'notimplemented' } : invalid('code is missing');
  }
  switch (code) {
    case 'read':
    case 'write': {
      const blockId = blockIdOrProblem(nonEmptyText(b, 'block-id'));
      if (typeof blockId === 'string') return invalid(blockId);
      if (code === 'read') return { code: 'read', blockId };
      const raw = nonEmptyText(b, 'payload');
      if (raw === undefined) return invalid('payload is missing');
      const data = decodeBase64(raw);
      if (data === undefined) return invalid('payload is not valid Base64');
      if (data.length !== CARD_BLOCK_SIZE) return invalid(`payload must be ${CARD_BLOCK_SIZE} bytes, got ${data.length}`);
      return { code: 'write', blockId, data };
    }
    case 'close': {
      if (!Object.prototype.hasOwnProperty.call(b, 'receipt')) return { code: 'close' };
      return { code: 'close', receipt: childElement(b, 'receipt') ?? {} };
    }
    default:
      return invalid('code must be read, write or close');
  }
}

// ---- runreset: terminal ↔ activator (§10, port 4434) ----

/** The document's misspelling of signconfigclientcertificate (§10 step 4). */
export const MISSPELLED_CONFIG_CERTIFICATE = 'signconfigcientcertificate';
export const CONFIG_CREDENTIALS_QUERY = 'queryconfigcredentials';
/** The activator's command that starts the reset (accepted on port 4434 only). */
export const ACTIVATOR_RESET = 'reset';

/** The normalised certificate request name for a root tag, or undefined. */
export function certificateRequestName(root: string): CertificateRequestName | undefined {
  if (root === MISSPELLED_CONFIG_CERTIFICATE) return 'signconfigclientcertificate';
  return (CERTIFICATE_REQUEST_NAMES as readonly string[]).includes(root) ? (root as CertificateRequestName) : undefined;
}

/** An activator answer's body: the status, if any, and the `wrapper` element with the fields given (none: no wrapper). */
function activatorAnswerBody<T extends { status?: string }>(answer: T, wrapper: string, fields: readonly (keyof T & string)[]): XmlElement {
  const body: XmlElement = {};
  put(body, 'status', answer.status);
  const inner: XmlElement = {};
  for (const field of fields) put(inner, field, answer[field] as string | undefined);
  if (Object.keys(inner).length > 0) body[wrapper] = inner;
  return body;
}

/** An activator answer's status and `wrapper` fields; hex ones lose any whitespace (long values are wrapped). */
function parseActivatorAnswer<T extends { status?: string }>(p: Packet, wrapper: string, hex: readonly string[], plain: readonly string[] = []): T {
  const r: Record<string, string> = {};
  const inner = childElement(p.body, wrapper);
  setIf(r, 'status', nonEmptyText(p.body, 'status'));
  for (const field of hex) setIf(r, field, nonEmptyText(inner, field)?.replace(/\s+/g, ''));
  for (const field of plain) setIf(r, field, nonEmptyText(inner, field));
  return r as T;
}

/** Activator side: `<reset/>`. */
export function buildActivatorReset(): Packet {
  return packet(ACTIVATOR_RESET);
}

/** Terminal side: `<signXclientcertificate><key/><device-identifier/></…>`. */
export function buildCertificateRequest(req: CertificateRequest): Packet {
  if (!/^[0-9A-Fa-f]+$/.test(req.key) || req.key.length % 2 !== 0) {
    throw new JpayValidationError('key', 'must be hex (the DER SubjectPublicKeyInfo)');
  }
  if (req.deviceIdentifier.trim() === '') throw new JpayValidationError('deviceIdentifier', 'is required');
  return packet(req.rootName ?? req.name, { key: req.key, 'device-identifier': req.deviceIdentifier });
}

/**
 * Activator side: undefined when the packet is not a certificate request; throws
 * JpayProtocolError('bad-packet') when key or device-identifier is missing or key is not hex.
 */
export function parseCertificateRequest(p: Packet): CertificateRequest | undefined {
  const name = certificateRequestName(p.name);
  if (name === undefined) return undefined;
  const key = nonEmptyText(p.body, 'key')?.replace(/\s+/g, '');
  if (key === undefined) bad('key is missing', p.name);
  if (!/^([0-9A-Fa-f]{2})+$/.test(key)) bad('key must be hex', p.name);
  const deviceIdentifier = nonEmptyText(p.body, 'device-identifier');
  if (deviceIdentifier === undefined) bad('device-identifier is missing', p.name);
  return { name, rootName: p.name, key, deviceIdentifier };
}

/**
 * Activator side: `<name><signed-cert><cert/><ca/></signed-cert></name>`. `name` is the
 * root of the request (pass `request.rootName` to echo a misspelled root). A status is
 * written only when given (the document's example has none).
 */
export function buildCertificateAnswer(name: string, answer: CertificateAnswer): Packet {
  return packet(name, activatorAnswerBody(answer, 'signed-cert', ['cert', 'ca']));
}

/** Terminal side: the activator's certificate answer. Hex values lose any whitespace. */
export function parseCertificateAnswer(p: Packet): CertificateAnswer {
  return parseActivatorAnswer<CertificateAnswer>(p, 'signed-cert', ['cert', 'ca']);
}

/** Whether a certificate answer can be used: cert and ca present as hex and no failing status (any case). */
export function isCertificateAnswerOk(a: CertificateAnswer): a is CertificateAnswer & { cert: string; ca: string } {
  return isActivatorAnswerOk(a, [a.cert, a.ca]);
}

function isActivatorAnswerOk(a: { status?: string }, hex: readonly (string | undefined)[]): boolean {
  return (a.status === undefined || a.status.toLowerCase() === 'ok') && hex.every((v) => v !== undefined && /^([0-9A-Fa-f]{2})+$/.test(v));
}

/** Terminal side: `<queryconfigcredentials/>`. */
export function buildConfigCredentialsQuery(): Packet {
  return packet(CONFIG_CREDENTIALS_QUERY);
}

export function isConfigCredentialsQuery(p: Packet): boolean {
  return p.name === CONFIG_CREDENTIALS_QUERY;
}

/** Activator side: `<queryconfigcredentials><confdata><cert/><sign/><url/></confdata></queryconfigcredentials>`. */
export function buildConfigCredentialsAnswer(c: ConfigCredentials): Packet {
  return packet(CONFIG_CREDENTIALS_QUERY, activatorAnswerBody(c, 'confdata', ['cert', 'sign', 'url']));
}

/** Terminal side: the activator's `confdata`. Hex values (cert, sign) lose any whitespace. */
export function parseConfigCredentialsAnswer(p: Packet): ConfigCredentials {
  return parseActivatorAnswer<ConfigCredentials>(p, 'confdata', ['cert', 'sign'], ['url']);
}

/** Whether config credentials are complete (cert and sign as hex, url) and no failing status (any case). */
export function isConfigCredentialsOk(c: ConfigCredentials): c is ConfigCredentials & { cert: string; sign: string; url: string } {
  return c.url !== undefined && isActivatorAnswerOk(c, [c.cert, c.sign]);
}
