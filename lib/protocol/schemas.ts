/**
 * JSON Schemas (ajv v8) for every command's RequestParams: the one rulebook of every field a
 * command carries. The library (validation.ts), the flow's inputs and the CLI apply it; they
 * only convert what their users type (msg and editor defaults, major-unit amounts, flags)
 * into parameters and name the fields their way. The build compiles the schemas into plain
 * JavaScript with ajv's standalone code (request-validators.ts says how), so the package
 * never compiles a schema at load.
 *
 * Every property schema carries a `description` that doubles as the plain-English rule
 * reported in a JpayValidationError; `then` branches that add `required` carry the rule
 * for the missing field. Rules never contain the offending value (passwords, tokens and
 * PANs pass through here).
 *
 * Decision (rrn, docs/protocol.md D21): §8.9 gives a refund's rrn as 12 characters (a card
 * RRN, ISO 8583 field 37). An SBP refund (`sbp: true`, force-sbp="true") carries the SBP
 * agent's reference instead, whose format the agent defines (§8.10): the CFT agent's
 * localQrcId, duplicated in the receipt's `rrn` (e.g. `232796`). So a card refund's rrn is
 * exactly 12 characters and an SBP refund's 1 to 12; in both cases printable ASCII without
 * spaces, `<` or `&` (a receipt's rrn is echoed as the terminal printed it).
 *
 * Decision (amounts): an amount is 1 to 999999999999 minor units. Zero is refused: a
 * purchase, refund or cashback of nothing, or a partial void of nothing, is a mistake.
 *
 * Decision (password on transaction): the admin password is required with manual card
 * entry and refused without it, so the password never goes on the wire needlessly.
 */
import type { Options } from 'ajv';
import { CommandName, TRANSACTION_TYPES } from './types';
import { MAX_WIRE_AMOUNT } from './values';

export type JsonSchema = Readonly<Record<string, unknown>>;

const AMOUNT: JsonSchema = {
  type: 'integer',
  minimum: 1,
  maximum: MAX_WIRE_AMOUNT,
  description: `must be an integer number of minor units (kopecks) from 1 to ${MAX_WIRE_AMOUNT}`,
};

// Decision (token): §6 says 16 random bytes as hex, but §8.1's own example returns
// `392480923040932923` (18 digits), and the client must keep and send back the token it
// received. So the token is whatever login returned, within what is safe to hold and echo:
// 8 to 128 printable ASCII characters without spaces or the XML specials `<`, `>`, `&`,
// `"`, `'`. Shorter is no secret, and the redaction of logs and errors could not tell it
// from ordinary text; the bound keeps a terminal from making every command carry a novel.
const TOKEN: JsonSchema = {
  type: 'string',
  pattern: '^[\\x21\\x23-\\x25\\x28-\\x3B\\x3D\\x3F-\\x7E]{8,128}$',
  description: 'must be the token login returned: 8 to 128 printable ASCII characters without spaces, quotes, <, > or &',
};

const PASSWORD: JsonSchema = { type: 'string', pattern: '^\\d{8}$', description: 'must be exactly 8 digits' };

const BASE64_PATTERN = '^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$';

// Printable ASCII without space, `&` (0x26) and `<` (0x3C).
const RRN_CHARS = '[\\x21-\\x25\\x27-\\x3B\\x3D-\\x7E]';

const forbidden = (rule: string): JsonSchema => ({ not: {}, description: rule });
const typeIs = (...types: string[]): JsonSchema => ({
  properties: { type: { enum: types } },
  required: ['type'],
});
const SBP_TRUE: JsonSchema = { properties: { sbp: { const: true } }, required: ['sbp'] };

/** An object with these properties and no other; the `required` ones must be present. */
export function closedObject(required: readonly string[], properties: Readonly<Record<string, unknown>>): JsonSchema {
  return { type: 'object', additionalProperties: false, ...(required.length > 0 ? { required: [...required] } : {}), properties };
}

const tokenOnly: JsonSchema = closedObject(['token'], { token: TOKEN });

const passwordOnly: JsonSchema = closedObject(['password'], { password: PASSWORD });

const TRANSACTION: JsonSchema = {
  ...closedObject(['type'], {
    type: { enum: [...TRANSACTION_TYPES], description: `must be one of ${TRANSACTION_TYPES.join(', ')}` },
    amount: AMOUNT,
    amountOther: AMOUNT,
    currency: { type: 'string', pattern: '^\\d{3}$', description: 'must be an ISO 4217 numeric code (3 digits)' },
    rrn: {
      type: 'string',
      pattern: `^${RRN_CHARS}{1,12}$`,
      description: 'must be 1 to 12 printable characters without spaces, < or &',
    },
    number: {
      anyOf: [{ type: 'integer', minimum: 0, maximum: 999999 }, { const: 'last' }],
      description: 'must be a receipt number (integer 0..999999) or "last"',
    },
    forced: { type: 'boolean', description: 'must be true or false' },
    sbp: { type: 'boolean', description: 'must be true or false' },
    manual: closedObject(['pan', 'expiry'], {
      pan: { type: 'string', pattern: '^\\d{12,19}$', description: 'must be 12 to 19 digits' },
      expiry: {
        type: 'string',
        pattern: '^\\d\\d(?:0[1-9]|1[0-2])$',
        description: 'must be YYMM (4 digits, month 01 to 12)',
      },
      cardholder: {
        type: 'string',
        pattern: '^[\\x20-\\x7E]{1,26}$',
        description: 'must be 1 to 26 printable ASCII characters',
      },
    }),
    password: PASSWORD,
  }),
  allOf: [
    {
      if: typeIs('purchase', 'refund', 'purchase-with-cashback'),
      then: { required: ['amount'], description: 'is required for a purchase, refund or purchase-with-cashback' },
    },
    {
      if: typeIs('purchase-with-cashback'),
      then: { required: ['amountOther'], description: 'is required for a purchase-with-cashback' },
      else: { properties: { amountOther: forbidden('is only allowed on a purchase-with-cashback') } },
    },
    {
      if: typeIs('void'),
      then: { required: ['number'], description: 'is required for a void (a receipt number or "last")' },
      else: { properties: { number: forbidden('is only allowed on a void') } },
    },
    {
      if: typeIs('refund'),
      else: {
        properties: {
          rrn: forbidden('is only allowed on a refund'),
          forced: { const: false, description: 'can only be true on a refund' },
        },
      },
    },
    {
      if: { required: ['manual'] },
      then: { required: ['password'], description: 'is required with manual card entry (manual)' },
      else: { properties: { password: forbidden('is only sent with manual card entry (manual)') } },
    },
    {
      if: SBP_TRUE,
      then: {
        properties: {
          type: { enum: ['purchase', 'refund'], description: 'must be purchase or refund when sbp is true' },
          manual: forbidden('cannot be combined with sbp: true'),
          forced: { const: false, description: 'cannot be combined with sbp: true' },
        },
      },
      else: {
        properties: {
          rrn: {
            minLength: 12,
            maxLength: 12,
            description: "must be the payment's RRN, exactly 12 characters (an SBP refund takes the SBP id, 1 to 12)",
          },
        },
      },
    },
  ],
};

/** The schema of each command's parameters (RequestParams[command]). */
export const REQUEST_SCHEMAS: Readonly<Record<CommandName, JsonSchema>> = {
  login: closedObject(['password'], {
    password: PASSWORD,
    clientHandshake: {
      type: 'string',
      minLength: 4,
      maxLength: 1024,
      pattern: BASE64_PATTERN,
      description: 'must be Base64 (the encoded client public key)',
    },
  }),
  logout: tokenOnly,
  changepassword: closedObject(['token', 'password', 'newPassword'], { token: TOKEN, password: PASSWORD, newPassword: PASSWORD }),
  updateconfiguration: tokenOnly,
  loadworkkeys: tokenOnly,
  loadmasterkeys: tokenOnly,
  testconnection: tokenOnly,
  getparameters: tokenOnly,
  transaction: TRANSACTION,
  report: closedObject(['password', 'reportType'], {
    password: PASSWORD,
    reportType: { enum: ['brief', 'full'], description: 'must be brief or full' },
  }),
  settlement: passwordOnly,
  clear: passwordOnly,
  resetpassword: closedObject([], {}),
  sethostkey: closedObject(['token', 'name', 'material'], {
    token: TOKEN,
    name: {
      type: 'string',
      pattern: '^[^\\x00-\\x1F\\x7F]{1,64}$',
      description: 'must be 1 to 64 characters without control characters',
    },
    material: {
      type: 'string',
      minLength: 4,
      maxLength: 8192,
      pattern: BASE64_PATTERN,
      description: 'must be the key material in Base64',
    },
  }),
  runreset: tokenOnly,
};

/**
 * Each command's fields with their own rules only: no field required, no rule between
 * fields. For values checked before the rest of a request exists (the flow's editor
 * defaults, the CLI's admin password).
 */
export const FIELD_SCHEMAS = Object.fromEntries(
  Object.entries(REQUEST_SCHEMAS).map(([command, schema]): [string, JsonSchema] => [
    command,
    closedObject([], schema.properties as Record<string, unknown>),
  ]),
) as Readonly<Record<CommandName, JsonSchema>>;

/** ajv's options for REQUEST_SCHEMAS and FIELD_SCHEMAS: `verbose` gives each error its schema, whose description is the rule. */
export const REQUEST_AJV_OPTIONS: Readonly<Options> = { allErrors: false, verbose: true, strict: true, strictTypes: false, strictRequired: false };
