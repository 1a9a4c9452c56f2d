/**
 * The compiled validator of the receipt message schema (schema.ts). Run from source this
 * module compiles it with ajv as it loads; the build replaces its compiled output with
 * ajv's standalone code for the same schema and options (scripts/build/validators.js).
 */
import Ajv, { type ValidateFunction } from 'ajv';
import { RECEIPT_AJV_OPTIONS, RECEIPT_SCHEMAS } from './schema';

const ajv = new Ajv({ ...RECEIPT_AJV_OPTIONS });

export const RECEIPT_VALIDATORS = Object.fromEntries(
  Object.entries(RECEIPT_SCHEMAS).map(([name, schema]) => [name, ajv.compile(schema)]),
) as Readonly<Record<keyof typeof RECEIPT_SCHEMAS, ValidateFunction>>;
