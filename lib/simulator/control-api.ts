/**
 * The control HTTP API (node:http, JSON, loopback by default). Routes:
 *   GET  /health, /state, /cards, /magic-amounts, /log, /events, /faults, /outcomes, /mifare
 *   POST /present {card?}            POST /outcomes {…}|[…]     POST /faults {kind,…}
 *   POST /sbp {outcome}              POST /mifare/remove        POST /mifare/return
 *   POST /reset                      POST /log/seed {count}     PUT  /next-card {card}
 *   PUT  /auto-present {enabled}     PUT  /host {reachable}     PUT  /mifare {image?,…}
 *   PUT  /settlement {…}             PUT  /mifare/close-without-receipt {mode}
 *   DELETE /outcomes, /faults, /log, /mifare
 * Errors: 400 {error, field}, 403, 404, 405, 409, 413, 415.
 *
 * Any web page the user opens can send requests to a port on localhost. So: a request
 * with an `Origin` other than this API's own loopback origin gets 403 (a browser always
 * sends one on a cross-origin POST); every POST and PUT must say `Content-Type:
 * application/json` (415 otherwise), which a page cannot send cross-origin without a
 * CORS preflight this API never grants; and while it listens on loopback, a `Host` that
 * is not a loopback name gets 403 (DNS rebinding). A request never names a file: card
 * images come in the body (hex/base64) or from the command line (--mifare-image).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { JpayValidationError } from '../errors';
import type { Controller } from './controller';
import type { FaultSpec, MifareCardConfig, MifareCloseMode, SbpOutcome, SettlementConfig } from './options';
import type { OutcomeSpec } from './outcome';
import { closeServer, listen } from './server';

const MAX_BODY = 1024 * 1024;

class HttpError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

type Json = Record<string, unknown>;
/** What a route returns is the response body; nothing means `{ ok: true }`. */
type Route = (body: Json) => Promise<unknown> | unknown;

function readBody(req: IncomingMessage): Promise<Json> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new HttpError(413, `body larger than ${MAX_BODY} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8').trim();
      if (text === '') return resolve({});
      try {
        const value: unknown = JSON.parse(text);
        if (value === null || typeof value !== 'object') return reject(new HttpError(400, 'body must be a JSON object or array'));
        resolve(value as Json);
      } catch (error) {
        reject(new HttpError(400, `body is not JSON: ${(error as Error).message}`));
      }
    });
    req.on('error', reject);
  });
}

/** The body's field `name` if it passes `ok`, else a 400 naming it with `rule`. */
function field<T>(body: Json, name: string, ok: (value: unknown) => boolean, rule: string): T {
  if (!ok(body[name])) throw new HttpError(400, `${name}: ${rule}`, name);
  return body[name] as T;
}
const integerField = (b: Json, name: string): number => field(b, name, Number.isSafeInteger, 'must be an integer');
const boolField = (b: Json, name: string): boolean => field(b, name, (v) => typeof v === 'boolean', 'must be true or false');
const optionalString = (b: Json, name: string): string | undefined => field(b, name, (v) => v === undefined || typeof v === 'string', 'must be a string');

export class ControlApi {
  private readonly server: Server;
  private readonly routes: Record<string, Route>;

  /** The port this API listens on (for the same-origin check). */
  private port: number | undefined;

  constructor(
    private readonly control: Controller,
    info: () => Json,
    /** The address it listens on: loopback ones also get the Host check. */
    private readonly listenHost: string,
  ) {
    const c = control;
    this.routes = {
      'GET /health': () => ({ ok: true, ...info() }),
      'GET /state': () => c.state(),
      'GET /cards': () => c.cards(),
      'GET /magic-amounts': () => c.magicAmounts(),
      'GET /log': () => c.log(),
      'DELETE /log': () => c.clearLog(),
      'POST /log/seed': async (b) => ({ records: await c.seedLog(integerField(b, 'count')) }),
      'GET /events': () => c.events(),
      'POST /present': (b) => c.presentCard(optionalString(b, 'card')),
      'PUT /next-card': (b) => {
        const card = optionalString(b, 'card');
        if (card === undefined) throw new HttpError(400, 'card: is required', 'card');
        c.setNextCard(card);
      },
      'PUT /auto-present': (b) => c.setAutoPresent(boolField(b, 'enabled')),
      'GET /outcomes': () => c.outcomes(),
      'POST /outcomes': (b) => ({ queued: c.queueOutcome(b as OutcomeSpec | OutcomeSpec[]) }),
      'DELETE /outcomes': () => c.clearOutcomes(),
      'GET /faults': () => c.faults(),
      'POST /faults': (b) => {
        c.injectFault(b as unknown as FaultSpec);
        return { ok: true, faults: c.faults() };
      },
      'DELETE /faults': () => c.clearFaults(),
      'PUT /host': (b) => c.setHostReachable(boolField(b, 'reachable')),
      'POST /sbp': (b) => ({ delivered: c.sbpResult(optionalString(b, 'outcome') as SbpOutcome) }),
      'PUT /settlement': (b) => c.setSettlement(b as SettlementConfig),
      'GET /mifare': () => c.mifareState(),
      'PUT /mifare': async (b) => {
        if ('imageFile' in b) {
          throw new HttpError(
            400,
            'imageFile: is not accepted over the control API; send the card memory as hex or base64 in image, or start jpay-sim with --mifare-image FILE',
            'imageFile',
          );
        }
        await c.insertMifareCard(b as MifareCardConfig);
        return c.mifareState();
      },
      'PUT /mifare/close-without-receipt': (b) => {
        c.setMifareCloseWithoutReceipt(optionalString(b, 'mode') as MifareCloseMode);
        return { ok: true, mode: b.mode };
      },
      'DELETE /mifare': () => void c.takeMifareCard(),
      'POST /mifare/remove': () => {
        this.requireMifare().remove();
        return c.mifareState();
      },
      'POST /mifare/return': () => {
        this.requireMifare().returnToField();
        return c.mifareState();
      },
      'POST /reset': () => c.reset(),
    };
    this.server = createServer((req, res) => {
      void this.handle(req, res);
    });
  }

  private requireMifare(): NonNullable<ReturnType<Controller['mifareCard']>> {
    const card = this.control.mifareCard();
    if (!card) throw new HttpError(409, 'no MIFARE card is in the field (PUT /mifare first)');
    return card;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '') || '/';
    const route = this.routes[`${req.method ?? 'GET'} ${path}`];
    try {
      this.checkOrigin(req);
      if (!route) {
        const known = Object.keys(this.routes).some((key) => key.endsWith(` ${path}`));
        throw new HttpError(known ? 405 : 404, known ? `${req.method} is not allowed on ${path}` : `no route ${path}`);
      }
      const withBody = req.method === 'POST' || req.method === 'PUT';
      if (withBody && !isJson(req.headers['content-type'])) {
        throw new HttpError(415, `${req.method} requests must have Content-Type: application/json`);
      }
      const body = withBody ? await readBody(req) : {};
      send(res, 200, (await route(body)) ?? { ok: true });
    } catch (error) {
      if (error instanceof HttpError) send(res, error.code, { error: error.message, ...(error.field ? { field: error.field } : {}) });
      else if (error instanceof JpayValidationError) send(res, 400, { error: error.message, field: error.field });
      else send(res, 500, { error: (error as Error).message });
    }
  }

  /** 403 unless the request comes from no page (no Origin) or from this API's own origin, through a name we answer to. */
  private checkOrigin(req: IncomingMessage): void {
    const origin = req.headers.origin;
    if (origin !== undefined && !this.isOwnOrigin(origin)) {
      throw new HttpError(403, 'cross-origin requests are refused: the Origin header names another site');
    }
    if (isLoopback(this.listenHost) && !isLoopbackHost(hostnameOf(req.headers.host))) {
      throw new HttpError(403, 'the Host header must name this machine (localhost, 127.0.0.1 or [::1])');
    }
  }

  private isOwnOrigin(origin: string): boolean {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const ours = isLoopbackHost(host) || host === this.listenHost;
    return url.protocol === 'http:' && ours && Number(url.port || 80) === this.port;
  }

  async listen(port: number, host: string): Promise<number> {
    this.port = await listen(this.server, port, host);
    return this.port;
  }

  async close(): Promise<void> {
    const closed = closeServer(this.server);
    this.server.closeAllConnections();
    await closed;
  }
}

function send(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function isJson(contentType: string | undefined): boolean {
  return contentType?.split(';')[0].trim().toLowerCase() === 'application/json';
}

/** `localhost:4435` / `[::1]:4435` / `127.0.0.1` → the host name without port or brackets. */
function hostnameOf(hostHeader: string | undefined): string {
  if (hostHeader === undefined) return '';
  const bracketed = /^\[([^\]]*)\]/.exec(hostHeader);
  return bracketed ? bracketed[1] : hostHeader.replace(/:\d*$/, '');
}

function isLoopback(address: string): boolean {
  return address === 'localhost' || address === '::1' || (isIP(address) === 4 && address.startsWith('127.'));
}

function isLoopbackHost(name: string): boolean {
  return isLoopback(name.toLowerCase()) || name.toLowerCase().endsWith('.localhost');
}
