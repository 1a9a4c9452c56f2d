/**
 * validateRequest(): a command's parameters against its schema (schemas.ts), reported as
 * the first problem's field and plain-English rule, never the offending value.
 */
import type { ErrorObject } from 'ajv';
import { JpayValidationError } from '../errors';
import { onFirstUse } from '../lazy';
import type * as RequestValidators from './request-validators';
import { COMMAND_NAMES, CommandName, RequestParams } from './types';

// The compiled validators (the largest module of the client) load at the first validation.
const validators = onFirstUse(
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  () => (require('./request-validators') as typeof RequestValidators).REQUEST_VALIDATORS,
);

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
  const parent: unknown = error.parentSchema;
  if (parent && typeof parent === 'object' && 'description' in parent) {
    const d = (parent as { description?: unknown }).description;
    if (typeof d === 'string') return d;
  }
  return undefined;
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
      const kind: ValidationProblemKind =
        typeSpecific || error.keyword === 'enum' || error.keyword === 'const' ? 'not-allowed' : 'format';
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

export function isCommandName(name: unknown): name is CommandName {
  return typeof name === 'string' && (COMMAND_NAMES as readonly string[]).includes(name);
}

/** The first problem with a command's parameters, or undefined when they are valid. */
export function findRequestProblem(command: string, params: unknown): ValidationProblem | undefined {
  if (!isCommandName(command)) return { field: 'command', rule: 'is not a JPAY command', kind: 'format' };
  const validate = validators()[command];
  const value = params === undefined && command === 'resetpassword' ? {} : withoutUndefined(params);
  if (validate(value)) return undefined;
  return problemOf(pickError(validate.errors ?? []));
}

/** Throws JpayValidationError(field, rule) unless params are valid for the command. */
export function validateRequest<C extends CommandName>(command: C, params: unknown): asserts params is RequestParams[C] {
  const problem = findRequestProblem(command, params);
  if (problem) throw new JpayValidationError(problem.field, problem.rule);
}
