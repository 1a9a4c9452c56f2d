/**
 * EMV data exchange (`dex`, §5.2) as a flow sees it: the kernel tags in `msg.payload`
 * (card data masked), static tag → value rules from the edit dialog, and the flow's answer
 * — each value checked against the EMV tag dictionary before it reaches the kernel.
 */
import { JpayValidationError } from '../../lib/errors';
import { validateTagValue } from '../../lib/protocol/emv-tags';
import { maskPan } from '../../lib/protocol/secret';
import type { DexMessage, EmvTagValue } from '../../lib/protocol/types';
import { isRecord } from '../../lib/objects';

/** A rule from the edit dialog: always answer this tag with this value. */
export interface DexRule {
  tag: string;
  value: string;
}

/** `msg.payload` of a jpay-dex output msg. */
export interface DexEventPayload {
  /** The kernel's tags, name → hex value; card data masked unless asked for. */
  kernelTags: Record<string, string>;
  /** What the static rules inject (the flow's answer is merged over these). */
  terminalTags: Record<string, string>;
}

/** Tags that carry the PAN or cardholder data. */
const PAN_TAGS = new Set(['5A']);
const TRACK2_TAGS = new Set(['57', '9F6B']);
const REDACTED_TAGS = new Set(['56', '5F20', '9F0B', '9F1F', '9F20']);
const REDACTED = '[redacted]';

export function normaliseTag(name: string): string {
  return name.trim().toUpperCase();
}

/** A tag value checked against the dictionary; the field names the tag in errors. */
export function checkTag(name: unknown, value: unknown, field: string): EmvTagValue {
  if (typeof name !== 'string' || name.trim() === '') throw new JpayValidationError(field, 'needs a tag name (hex, e.g. 9F06)');
  const tag = normaliseTag(name);
  let hex: string;
  if (Buffer.isBuffer(value)) hex = value.toString('hex');
  else if (typeof value === 'string') hex = value.replace(/\s/g, '');
  else throw new JpayValidationError(field, `tag ${tag}: value must be a hex string or a Buffer`);
  hex = hex.toUpperCase();
  const check = validateTagValue(tag, hex);
  if (!check.ok) throw new JpayValidationError(field, check.reason);
  return { name: tag, value: hex };
}

/** Static rules from the dialog, checked; a repeated tag is refused (which one would win?). */
export function checkDexRules(rules: unknown, field = 'rules'): EmvTagValue[] {
  if (rules === undefined || rules === null) return [];
  if (!Array.isArray(rules)) throw new JpayValidationError(field, 'must be a list of {tag, value}');
  const seen = new Set<string>();
  return rules.map((rule: unknown, i) => {
    const at = `${field}[${i}]`;
    if (!isRecord(rule)) throw new JpayValidationError(at, 'must be {tag, value}');
    const tag = checkTag(rule.tag, rule.value, at);
    if (seen.has(tag.name)) throw new JpayValidationError(at, `tag ${tag.name} appears twice`);
    seen.add(tag.name);
    return tag;
  });
}

/**
 * The flow's answer: `{tags: {'9F06': 'A0…'}}`, `{tags: [{name, value}]}`, or the array
 * itself as `msg.payload`. No tags (`{}`, `{tags: {}}`) = answer ok without tags.
 */
export function dexTagsFromPayload(payload: unknown, field = 'msg.payload'): EmvTagValue[] {
  let tags: unknown = payload;
  let at = field;
  if (isRecord(payload)) {
    tags = payload.tags;
    at = `${field}.tags`;
    if (tags === undefined || tags === null) return [];
  }
  if (Array.isArray(tags)) {
    return dedupe(
      tags.map((t: unknown, i) => {
        if (!isRecord(t)) throw new JpayValidationError(`${at}[${i}]`, 'must be {name, value}');
        return checkTag(t.name ?? t.tag, t.value, `${at}[${i}]`);
      }),
    );
  }
  if (isRecord(tags)) return dedupe(Object.entries(tags).map(([name, value]) => checkTag(name, value, `${at}.${name}`)));
  throw new JpayValidationError(field, "must be {tags: {'9F06': 'A0…'}} or an array of {name, value}");
}

function dedupe(tags: EmvTagValue[]): EmvTagValue[] {
  return mergeDexTags([], tags);
}

/** Tags of `base` with `override` merged over them by tag name (override wins). */
export function mergeDexTags(base: readonly EmvTagValue[], override: readonly EmvTagValue[]): EmvTagValue[] {
  const merged = new Map<string, EmvTagValue>();
  for (const t of [...base, ...override]) merged.set(normaliseTag(t.name), { name: normaliseTag(t.name), value: t.value });
  return [...merged.values()];
}

/** The card number and track data, masked the way the project masks PANs in logs. */
export function maskKernelTag(name: string, value: string): string {
  const tag = normaliseTag(name);
  if (PAN_TAGS.has(tag)) return maskPan(value.replace(/F+$/i, ''));
  if (TRACK2_TAGS.has(tag)) {
    const [pan] = value.toUpperCase().split('D');
    return `${maskPan(pan)}D${'*'.repeat(Math.max(0, value.length - pan.length - 1))}`;
  }
  if (REDACTED_TAGS.has(tag)) return REDACTED;
  return value;
}

export function toTagMap(tags: readonly EmvTagValue[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags) out[normaliseTag(t.name)] = t.value;
  return out;
}

export function dexEventPayload(
  m: DexMessage,
  staticTags: readonly EmvTagValue[],
  options: { revealCardData?: boolean } = {},
): DexEventPayload {
  const kernelTags: Record<string, string> = {};
  for (const t of m.kernelTags) {
    kernelTags[normaliseTag(t.name)] = options.revealCardData ? t.value : maskKernelTag(t.name, t.value);
  }
  return { kernelTags, terminalTags: toTagMap(staticTags) };
}
