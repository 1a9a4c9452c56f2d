/**
 * The compiled validator of each command's request schema and field schema (schemas.ts).
 *
 * Run from source (the tests, through tsx), this module compiles the schemas with ajv as it
 * loads. The build replaces its compiled output with ajv's standalone code generated from
 * the same schemas and options (scripts/build/validators.js), so the package never loads
 * ajv's compiler nor compiles a schema at start-up. The exports stay exactly these.
 */
import Ajv, { type ValidateFunction } from 'ajv';
import { FIELD_SCHEMAS, REQUEST_AJV_OPTIONS, REQUEST_SCHEMAS, type JsonSchema } from './schemas';
import { COMMAND_NAMES, type CommandName } from './types';

function compileAll(schemas: Readonly<Record<CommandName, JsonSchema>>): Readonly<Record<CommandName, ValidateFunction>> {
  const ajv = new Ajv({ ...REQUEST_AJV_OPTIONS });
  return Object.fromEntries(COMMAND_NAMES.map((command) => [command, ajv.compile(schemas[command])])) as Record<CommandName, ValidateFunction>;
}

export const REQUEST_VALIDATORS = compileAll(REQUEST_SCHEMAS);
export const FIELD_VALIDATORS = compileAll(FIELD_SCHEMAS);
