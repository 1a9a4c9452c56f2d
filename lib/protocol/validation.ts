/**
 * A command's parameters against the rulebook (schemas.ts), reported as the first problem's
 * field and plain-English rule, never the offending value. The library, the flow's inputs
 * and the CLI all validate here; each names a field the way its user typed it (FieldNamer).
 */
import type { ErrorObject } from 'ajv';
import { JpayValidationError } from '../errors';
import { onFirstUse } from '../lazy';
import type * as RequestValidators from './request-validators';
import { COMMAND_CREDENTIALS, COMMAND_NAMES, CommandName, RequestParams } from './types';

// The compiled validators (the largest module of the client) load at the first validation.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const compiled = onFirstUse(() => require('./request-validators') as typeof RequestValidators);

/**
 * format: the value is malformed (wrong type, pattern, range); missing: a required field is
 * absent; not-allowed: the value or field is not allowed here (enum, type-specific rules).
 */
export type ValidationProblemKind = 'format' | 'missing' | 'not-allowed' | 'unknown-field';

export interface ValidationProblem {
  /** Readable path of the parameter (`amount`, `manual.expiry`). */
  field: string;
  /** The rule, in plain English, without the value. */
  rule: string;
  kind: ValidationProblemKind;
}

function pathOf(instancePath: string, child?: string): string {
  const parts = instancePath.split('/').filter((p) => p !== '');
  if (child !== undefined) parts.push(child);
  return parts.length === 0 ? 'params' : parts.join('.');
}

function describedRule(error: ErrorObject): string | undefined {
  const description: unknown = error.parentSchema?.description;
  return typeof description === 'string' ? description : undefined;
}

// With allErrors false ajv stops at the first failure but also reports the wrappers
// (`if` after a failed then/else, `anyOf` after its failed branches). The anyOf error
// carries the property's own description; an `if` error adds nothing.
function pickError(errors: readonly ErrorObject[]): ErrorObject {
  const useful = errors.filter((e) => e.keyword !== 'if');
  const combinator = [...useful].reverse().find((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  return combinator ?? useful[0] ?? errors[0];
}

function problemOf(error: ErrorObject): ValidationProblem {
  switch (error.keyword) {
    case 'required': {
      const missing = String((error.params as { missingProperty?: unknown }).missingProperty);
      return { field: pathOf(error.instancePath, missing), rule: describedRule(error) ?? 'is required', kind: 'missing' };
    }
    case 'additionalProperties': {
      const extra = String((error.params as { additionalProperty?: unknown }).additionalProperty);
      return { field: pathOf(error.instancePath, extra), rule: 'is not a known parameter', kind: 'unknown-field' };
    }
    case 'not':
      return { field: pathOf(error.instancePath), rule: describedRule(error) ?? 'is not allowed here', kind: 'not-allowed' };
    default: {
      const described = describedRule(error);
      const typeSpecific = error.schemaPath.includes('/allOf/');
      // A number out of range is well-formed but not allowed (an amount of zero).
      const notAllowed = ['enum', 'const', 'minimum', 'maximum'].includes(error.keyword);
      const kind: ValidationProblemKind = typeSpecific || notAllowed ? 'not-allowed' : 'format';
      if (error.instancePath === '' && error.keyword === 'type') {
        return { field: 'params', rule: 'must be an object', kind: 'format' };
      }
      // ajv's own messages quote the schema (`must match pattern "^\d{8}$"`), never the data.
      return { field: pathOf(error.instancePath), rule: described ?? error.message ?? 'is invalid', kind };
    }
  }
}

// `{ currency: undefined }` means "not given" in JavaScript (and is how optional fields
// arrive from spread defaults), so undefined-valued properties are dropped before validation.
function withoutUndefined(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = withoutUndefined(v);
  return out;
}

const COMMAND_SET: ReadonlySet<string> = new Set(COMMAND_NAMES);

export function isCommandName(name: unknown): name is CommandName {
  return typeof name === 'string' && COMMAND_SET.has(name);
}

export function isTokenCommand(command: CommandName): boolean {
  return COMMAND_CREDENTIALS[command].startsWith('token');
}

/**
 * Whether the request carries the admin password, which the client adds (a caller never
 * gives it): see COMMAND_CREDENTIALS. login carries the password it is given.
 */
export function carriesPassword(command: CommandName, params: unknown): boolean {
  if (command === 'transaction') return typeof params === 'object' && params !== null && (params as { manual?: unknown }).manual !== undefined;
  return COMMAND_CREDENTIALS[command].endsWith('password');
}

/** A syntactically valid token and password, standing in for the ones the client adds. */
export const PLACEHOLDER_TOKEN = '0'.repeat(32);
const PLACEHOLDER_PASSWORD = '0'.repeat(8);

/** How a caller names a parameter for its user: `msg.payload.amount`, `--cashback`. */
export type FieldNamer = (field: string) => string;

function find(set: 'REQUEST_VALIDATORS' | 'FIELD_VALIDATORS', command: string, params: unknown): ValidationProblem | undefined {
  if (!isCommandName(command)) return { field: 'command', rule: 'is not a JPAY command', kind: 'format' };
  const validate = compiled()[set][command];
  const value = params === undefined && command === 'resetpassword' ? {} : withoutUndefined(params);
  if (validate(value)) return undefined;
  return problemOf(pickError(validate.errors ?? []));
}

function raise(problem: ValidationProblem | undefined, nameOf: FieldNamer | undefined): void {
  if (problem) throw new JpayValidationError(nameOf ? nameOf(problem.field) : problem.field, problem.rule);
}

/** The first problem with a command's parameters, or undefined when they are valid. */
export function findRequestProblem(command: string, params: unknown): ValidationProblem | undefined {
  return find('REQUEST_VALIDATORS', command, params);
}

/** Throws JpayValidationError(field, rule) unless params are valid for the command. */
export function validateRequest<C extends CommandName>(command: C, params: unknown, nameOf?: FieldNamer): asserts params is RequestParams[C] {
  raise(findRequestProblem(command, params), nameOf);
}

/**
 * validateRequest() for what a caller of the client gives (JpayClient.send's parameters):
 * the token and the admin password, which the client adds, are taken as valid.
 */
export function validateSendParams(command: CommandName, params: unknown, nameOf?: FieldNamer): void {
  const base = params === undefined ? {} : params;
  if (typeof base !== 'object' || base === null || Array.isArray(base)) return raise(findRequestProblem(command, base), nameOf);
  const full: Record<string, unknown> = { ...base };
  if (isTokenCommand(command)) full.token = PLACEHOLDER_TOKEN;
  if (carriesPassword(command, base)) full.password = PLACEHOLDER_PASSWORD;
  raise(findRequestProblem(command, full), nameOf);
}

/**
 * Each given field against its own rule, none required and no rule between fields: for
 * parts of a request checked before the rest exists (a flow node's editor defaults).
 */
export function validateFields(command: CommandName, params: Readonly<Record<string, unknown>>, nameOf?: FieldNamer): void {
  raise(find('FIELD_VALIDATORS', command, params), nameOf);
}
