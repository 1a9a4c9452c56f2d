/**
 * The control HTTP API (node:http, JSON, loopback by default). Routes:
 *   GET  /health, /state, /cards, /magic-amounts, /log, /events, /faults, /outcomes, /mifare
 *   POST /present {card?}            POST /outcomes {…}|[…]     POST /faults {kind,…}
 *   POST /sbp {outcome}              POST /mifare/remove        POST /mifare/return
 *   POST /reset                      PUT  /next-card {card}     PUT  /auto-present {enabled}
 *   PUT  /host {reachable}           PUT  /mifare {image?,…}    PUT  /settlement {…}
 *   DELETE /outcomes, /faults, /log, /mifare
 * Errors: 400 {error, field}, 404, 405, 413.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { JpayValidationError } from '../errors';
import type { Controller } from './controller';
import type { FaultSpec, MifareCardConfig, SbpOutcome, SettlementConfig } from './options';
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

function boolField(body: Json, name: string): boolean {
  const value = body[name];
  if (typeof value !== 'boolean') throw new HttpError(400, `${name}: must be true or false`, name);
  return value;
}

function optionalString(body: Json, name: string): string | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new HttpError(400, `${name}: must be a string`, name);
  return value;
}

export class ControlApi {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly routes: Record<string, Route>;

  constructor(
    private readonly control: Controller,
    info: () => Json,
  ) {
    const c = control;
    this.routes = {
      'GET /health': () => ({ ok: true, ...info() }),
      'GET /state': () => c.state(),
      'GET /cards': () => c.cards(),
      'GET /magic-amounts': () => c.magicAmounts(),
      'GET /log': () => c.log(),
      'DELETE /log': async () => {
        await c.clearLog();
        return { ok: true };
      },
      'GET /events': () => c.events(),
      'POST /present': (b) => c.presentCard(optionalString(b, 'card')),
      'PUT /next-card': (b) => {
        const card = optionalString(b, 'card');
        if (card === undefined) throw new HttpError(400, 'card: is required', 'card');
        c.setNextCard(card);
        return { ok: true };
      },
      'PUT /auto-present': (b) => {
        c.setAutoPresent(boolField(b, 'enabled'));
        return { ok: true };
      },
      'GET /outcomes': () => c.outcomes(),
      'POST /outcomes': (b) => ({ queued: c.queueOutcome(b as OutcomeSpec | OutcomeSpec[]) }),
      'DELETE /outcomes': () => {
        c.clearOutcomes();
        return { ok: true };
      },
      'GET /faults': () => c.faults(),
      'POST /faults': (b) => {
        c.injectFault(b as unknown as FaultSpec);
        return { ok: true, faults: c.faults() };
      },
      'DELETE /faults': () => {
        c.clearFaults();
        return { ok: true };
      },
      'PUT /host': (b) => {
        c.setHostReachable(boolField(b, 'reachable'));
        return { ok: true };
      },
      'POST /sbp': (b) => ({ delivered: c.sbpResult(optionalString(b, 'outcome') as SbpOutcome) }),
      'PUT /settlement': (b) => {
        c.setSettlement(b as SettlementConfig);
        return { ok: true };
      },
      'GET /mifare': () => c.mifareState(),
      'PUT /mifare': async (b) => {
        await c.insertMifareCard(b as MifareCardConfig);
        return c.mifareState();
      },
      'DELETE /mifare': () => {
        c.takeMifareCard();
        return { ok: true };
      },
      'POST /mifare/remove': () => {
        this.requireMifare().remove();
        return c.mifareState();
      },
      'POST /mifare/return': () => {
        this.requireMifare().returnToField();
        return c.mifareState();
      },
      'POST /reset': async () => {
        await c.reset();
        return { ok: true };
      },
    };
    this.server = createServer((req, res) => {
      void this.handle(req, res);
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
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
      if (!route) {
        const known = Object.keys(this.routes).some((key) => key.endsWith(` ${path}`));
        throw new HttpError(known ? 405 : 404, known ? `${req.method} is not allowed on ${path}` : `no route ${path}`);
      }
      const body = req.method === 'GET' || req.method === 'DELETE' ? {} : await readBody(req);
      send(res, 200, (await route(body)) ?? { ok: true });
    } catch (error) {
      if (error instanceof HttpError) send(res, error.code, { error: error.message, ...(error.field ? { field: error.field } : {}) });
      else if (error instanceof JpayValidationError) send(res, 400, { error: error.message, field: error.field });
      else send(res, 500, { error: (error as Error).message });
    }
  }

  listen(port: number, host: string): Promise<number> {
    return listen(this.server, port, host);
  }

  async close(): Promise<void> {
    const closed = closeServer(this.server);
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}

function send(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
