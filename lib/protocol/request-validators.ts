/**
 * The compiled validator of each command's request schema (schemas.ts).
 *
 * Run from source (the tests, through tsx), this module compiles the schemas with ajv as it
 * loads. The build replaces its compiled output with ajv's standalone code generated from
 * the same schemas and options (scripts/build/validators.js), so the package never loads
 * ajv's compiler nor compiles a schema at start-up. The exports stay exactly these.
 */
import Ajv, { type ValidateFunction } from 'ajv';
import { REQUEST_AJV_OPTIONS, REQUEST_SCHEMAS } from './schemas';
import { COMMAND_NAMES, type CommandName } from './types';

const ajv = new Ajv({ ...REQUEST_AJV_OPTIONS });

export const REQUEST_VALIDATORS = Object.fromEntries(
  COMMAND_NAMES.map((command) => [command, ajv.compile(REQUEST_SCHEMAS[command])]),
) as Readonly<Record<CommandName, ValidateFunction>>;
