/** Scenario files: JSON, validated against scenario-schema.ts; errors name the offending field. */
import { readFileSync } from 'node:fs';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { JpayValidationError } from '../errors';
import type { FaultSpec, Scenario } from './options';
import type { OutcomeSpec } from './outcome';
import { SCENARIO_VALIDATORS } from './scenario-validators';

function fieldOf(root: string, error: ErrorObject): string {
  const parts = error.instancePath.split('/').filter((p) => p !== '');
  if (error.keyword === 'required') parts.push(String((error.params as { missingProperty?: unknown }).missingProperty));
  if (error.keyword === 'additionalProperties') parts.push(String((error.params as { additionalProperty?: unknown }).additionalProperty));
  return [root, ...parts].join('.');
}

function ruleOf(error: ErrorObject): string {
  if (error.keyword === 'additionalProperties') return 'is not a known field';
  if (error.keyword === 'required') return 'is required';
  if (error.keyword === 'enum') {
    const allowed = (error.params as { allowedValues?: unknown[] }).allowedValues ?? [];
    return `must be one of ${allowed.map(String).join(', ')}`;
  }
  const parent: unknown = error.parentSchema;
  const description = parent && typeof parent === 'object' && 'description' in parent ? String(parent.description) : undefined;
  return description ? `${error.message ?? 'is invalid'} (${description})` : (error.message ?? 'is invalid');
}

function check<T>(validate: ValidateFunction, value: unknown, root: string): T {
  if (!validate(value)) {
    const error = validate.errors?.[0];
    if (!error) throw new JpayValidationError(root, 'is invalid');
    throw new JpayValidationError(fieldOf(root, error), ruleOf(error));
  }
  return value as T;
}

export function validateScenario(value: unknown, root = 'scenario'): Scenario {
  return check<Scenario>(SCENARIO_VALIDATORS.scenario, value, root);
}

export function validateOutcome(value: unknown, root = 'outcome'): OutcomeSpec {
  return check<OutcomeSpec>(SCENARIO_VALIDATORS.outcome, value, root);
}

export function validateFault(value: unknown, root = 'fault'): FaultSpec {
  return check<FaultSpec>(SCENARIO_VALIDATORS.fault, value, root);
}

export function validateMifareCard(value: unknown, root = 'card'): Record<string, unknown> {
  return check<Record<string, unknown>>(SCENARIO_VALIDATORS.mifareCard, value, root);
}

/** Reads and validates a scenario file; a JpayValidationError names the file and the field. */
export function loadScenarioFile(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new JpayValidationError(file, `cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new JpayValidationError(file, `is not valid JSON: ${(error as Error).message}`);
  }
  return validateScenario(value, 'scenario');
}
