/**
 * The compiled validators of the scenario schemas (scenario-schema.ts). Run from source this
 * module compiles them with ajv as it loads; the build replaces its compiled output with
 * ajv's standalone code for the same schemas and options (scripts/build/validators.js).
 */
import Ajv, { type ValidateFunction } from 'ajv';
import { SCENARIO_AJV_OPTIONS, SCENARIO_SCHEMAS } from './scenario-schema';

const ajv = new Ajv({ ...SCENARIO_AJV_OPTIONS });

export const SCENARIO_VALIDATORS = Object.fromEntries(
  Object.entries(SCENARIO_SCHEMAS).map(([name, schema]) => [name, ajv.compile(schema)]),
) as Readonly<Record<keyof typeof SCENARIO_SCHEMAS, ValidateFunction>>;
