/** JSON Schema (draft-07, ajv v8) of a jpay-sim scenario file. See docs/simulator.md. */
import type { Options } from 'ajv';
import { closedObject } from '../protocol/schemas';
import { JPAY_STATUS_CODES } from '../protocol/status';
import { MIFARE_CLOSE_MODES, SBP_OUTCOMES } from './options';
import { CVMS, DECLINE_REASONS, FAULT_KINDS } from './outcome';

const ms = { type: 'integer', minimum: 0, maximum: 2_147_483_647 } as const;
const digits = (n: number, description: string): object => ({ type: 'string', pattern: `^\\d{${n}}$`, description });
const hexString = { type: 'string', pattern: '^([0-9A-Fa-f]{2})*$' } as const;
const lines = { type: 'array', items: { type: 'string', maxLength: 256 }, maxItems: 20 } as const;

const outcome = closedObject([], {
  status: { enum: [...JPAY_STATUS_CODES] },
  declineReason: { enum: [...DECLINE_REASONS] },
  respCode: { type: 'string', maxLength: 8 },
  respCodeDescription: { type: 'string', maxLength: 128 },
  cvm: { enum: [...CVMS] },
  errors: { type: 'array', items: { type: 'string', maxLength: 512 }, maxItems: 10 },
  fault: { enum: [...FAULT_KINDS] },
  hostDelayMs: ms,
  display: { type: 'string', pattern: '^[0-9A-Fa-f]{2}$' },
});

const fault = closedObject(['kind'], {
  kind: { enum: [...FAULT_KINDS] },
  command: { type: 'string', pattern: '^(\\*|[a-z-]+)$' },
  times: { type: 'integer', minimum: 1, maximum: 1_000_000 },
  ms,
});

const card = closedObject(['id', 'pan'], {
  id: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,40}$' },
  pan: { type: 'string', pattern: '^\\d{12,19}$' },
  expiry: digits(4, 'YYMM'),
  scheme: { type: 'string', minLength: 1, maxLength: 32 },
  rid: { type: 'string', pattern: '^[0-9A-Fa-f]{10}$' },
  aid: { type: 'string', pattern: '^[0-9A-Fa-f]{10,32}$' },
  appname: { type: 'string', maxLength: 32 },
  alabel: { type: 'string', maxLength: 16 },
  apname: { ...hexString, maxLength: 32 },
  ictId: digits(2, 'Issuer Code Table Index'),
  cvm: { enum: [...CVMS] },
  outcome,
  description: { type: 'string', maxLength: 256 },
});

const mifareCard = closedObject([], {
  image: { type: 'string', maxLength: 16384, description: 'hex or base64 of 1024 or 4096 bytes' },
  imageFile: { type: 'string', minLength: 1 },
  uid: { type: 'string', pattern: '^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{14})$' },
  allowTrailerWrites: { type: 'boolean' },
  authBlock: { type: 'integer', minimum: 0, maximum: 255 },
  tearAfterWrites: { type: 'integer', minimum: 0 },
  tearMode: { enum: ['before', 'after', 'partial'] },
});

export const SCENARIO_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'jpay-sim scenario',
  type: 'object',
  additionalProperties: false,
  properties: {
    $schema: { type: 'string' },
    description: { type: 'string' },
    terminal: closedObject([], {
      tid: { type: 'string', pattern: '^[0-9A-Za-z]{1,16}$' },
      mid: { type: 'string', pattern: '^[0-9A-Za-z]{1,16}$' },
      password: digits(8, 'the 8-digit admin password'),
      currency: digits(3, 'ISO 4217 numeric'),
      language: { type: 'string', pattern: '^([a-z]{2})+$' },
      header: lines,
      footer: lines,
      acquirerTag: { type: 'string', maxLength: 64 },
      bankName: { type: 'string', maxLength: 64 },
      manualEntry: { type: 'boolean' },
      forcedRefund: { type: 'boolean' },
      parameters: { type: 'object', additionalProperties: { type: 'string', maxLength: 128 } },
    }),
    timing: closedObject([], {
      cardDelayMs: ms,
      keepaliveIntervalMs: { ...ms, minimum: 1 },
      hostDelayMs: ms,
      cardTimeoutMs: { ...ms, minimum: 1 },
      answerTimeoutMs: { ...ms, minimum: 1 },
      firstPacketTimeoutMs: { ...ms, minimum: 1 },
      frameTimeoutMs: { ...ms, minimum: 1 },
      faultDelayMs: ms,
      resetKeepAliveIntervalMs: { ...ms, minimum: 1 },
      activatorTimeoutMs: { ...ms, minimum: 1 },
    }),
    autoPresent: { type: 'boolean' },
    defaultCard: { type: 'string', minLength: 1 },
    cards: { type: 'array', items: card, maxItems: 200 },
    outcomes: { type: 'array', items: outcome, maxItems: 1000 },
    hostReachable: { type: 'boolean' },
    sbp: closedObject([], {
      enabled: { type: 'boolean' },
      tid: { type: 'string', minLength: 1, maxLength: 32 },
      mid: { type: 'string', minLength: 1, maxLength: 32 },
      payDelayMs: ms,
      outcome: { enum: [...SBP_OUTCOMES] },
      cft: { type: 'boolean' },
      qrBaseUrl: { type: 'string', pattern: '^https?://' },
    }),
    dex: closedObject([], {
      enabled: { type: 'boolean' },
      kernelTags: {
        type: 'array',
        maxItems: 50,
        items: closedObject(['name', 'value'], {
          name: { type: 'string', pattern: '^[0-9A-Fa-f]{2,6}$' },
          value: { type: 'string', pattern: '^([0-9A-Fa-f]{2})*$|^\\{(amount|currency|aid|pan|type|label)\\}$' },
        }),
      },
    }),
    mifare: closedObject([], { enabled: { type: 'boolean' }, card: mifareCard, closeWithoutReceipt: { enum: [...MIFARE_CLOSE_MODES] } }),
    settlement: closedObject([], {
      hostDifference: { type: 'integer', minimum: -999_999_999_999, maximum: 999_999_999_999 },
      batchUpload: { enum: ['passed', 'failed'] },
      cutover: { type: 'boolean' },
    }),
    faults: { type: 'array', items: fault, maxItems: 1000 },
  },
} as const;


/** The schemas scenario-validators.ts compiles (at build time: scripts/build/validators.js), by name. */
export const SCENARIO_SCHEMAS = { scenario: SCENARIO_SCHEMA, outcome, fault, mifareCard } as const;

/** ajv's options for SCENARIO_SCHEMAS: `verbose` gives each error its schema, whose description the message quotes. */
export const SCENARIO_AJV_OPTIONS: Readonly<Options> = { allErrors: false, strict: false, verbose: true };
