/**
 * The JSON Schema (draft-07) of the receipt payload on `<prefix>/<tid>/receipt`, documented in
 * docs/mqtt.md. Every receipt is validated against it before it is journaled, so whatever
 * reaches the broker conforms. `additionalProperties: false` on the receipt keeps unknown
 * (possibly sensitive) fields out; `pan` may show at most 10 digits (6 first + 4 last).
 */
import type { Options } from 'ajv';
import { JpayValidationError } from '../errors';
import { onFirstUse } from '../lazy';
import { camelCase } from '../protocol/fields';
import { CFT_FIELDS, RECEIPT_ROWS } from '../protocol/receipt';
import { closedObject } from '../protocol/schemas';
import type * as ReceiptValidators from './receipt-validators';

export const RECEIPT_MESSAGE_FORMAT = 'jpay-receipt/1';

const STRING = { type: 'string' } as const;
const LINES = { type: 'array', items: { type: 'string' } } as const;
const AMOUNT = { type: 'integer', minimum: 0, description: 'minor units (kopecks)' } as const;

/** The receipt's text children (lib/protocol/receipt.ts), and the application name the parser decodes from them. */
const RECEIPT_STRING_FIELDS = [
  ...RECEIPT_ROWS.flatMap((row) => (typeof row === 'string' ? [camelCase(row)] : row[2] === 'text' ? [row[1]] : [])),
  'applicationName',
];

export const RECEIPT_SCHEMA = closedObject(['header', 'footer', 'approved'], {
  header: LINES,
  footer: LINES,
  ...Object.fromEntries(RECEIPT_STRING_FIELDS.map((k) => [k, STRING])),
  approved: { type: 'boolean', description: 'tstatus (or status on SBP/MIFARE receipts) = approved' },
  receiptNumber: { type: 'integer', minimum: 0 },
  amountAuthorized: AMOUNT,
  amountOther: AMOUNT,
  cdcvm: { type: 'boolean' },
  signature: { type: 'boolean' },
  pan: {
    type: 'string',
    pattern: '^(?:[^0-9]*[0-9]){0,10}[^0-9]*$',
    description: 'masked PAN: at most 10 digits visible',
  },
  datetime: {
    type: 'string',
    pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}$',
    description: "terminal's local date-time, ISO without zone",
  },
  cft: closedObject([], Object.fromEntries(CFT_FIELDS.map((k) => [k, STRING]))),
  extra: { type: 'object', description: 'receipt children the library does not know, as parsed' },
});

/** The whole payload of a receipt message. */
export const RECEIPT_MESSAGE_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://github.com/jpaykit/node-red-jpay/blob/main/docs/mqtt.md#receipt-message',
  title: 'JPAY receipt message',
  type: 'object',
  additionalProperties: false,
  required: ['format', 'receiptId', 'terminalId', 'queuedAt', 'receipt'],
  properties: {
    format: { const: RECEIPT_MESSAGE_FORMAT },
    receiptId: {
      type: 'string',
      pattern: '^[A-Za-z0-9._-]{1,200}$',
      description: 'stable per receipt: consumers de-duplicate on it',
    },
    terminalId: { type: 'string', minLength: 1, maxLength: 64 },
    queuedAt: {
      type: 'string',
      pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(?:\\.\\d{3})?Z$',
      description: 'UTC time the receipt entered the outbox (ISO 8601)',
    },
    receipt: RECEIPT_SCHEMA,
    meta: { type: 'object', description: "the publisher's own metadata (order id, machine…), scrubbed of secrets" },
  },
} as const;

/** The schemas receipt-validators.ts compiles (at build time: scripts/build/validators.js), by name. */
export const RECEIPT_SCHEMAS = { message: RECEIPT_MESSAGE_SCHEMA } as const;
export const RECEIPT_AJV_OPTIONS: Readonly<Options> = { allErrors: false, strict: true, strictTypes: false, strictRequired: false };

// eslint-disable-next-line @typescript-eslint/no-require-imports
const validators = onFirstUse(() => (require('./receipt-validators') as typeof ReceiptValidators).RECEIPT_VALIDATORS);

/** Throws JpayValidationError naming the first offending field (never its value). */
export function assertReceiptMessage(message: unknown): void {
  const validate = validators().message;
  if (validate(message)) return;
  const error = validate.errors?.[0];
  const path = (error?.instancePath ?? '').split('/').filter(Boolean).join('.');
  const missing = error?.keyword === 'required' ? String((error.params as { missingProperty?: string }).missingProperty) : undefined;
  const extra = error?.keyword === 'additionalProperties' ? String((error.params as { additionalProperty?: string }).additionalProperty) : undefined;
  const field = [path, missing ?? extra].filter(Boolean).join('.') || 'message';
  const rule = extra !== undefined ? 'is not part of the receipt schema' : (error?.message ?? 'is invalid');
  throw new JpayValidationError(field, rule);
}
