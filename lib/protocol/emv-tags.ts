// EMV data dictionary for tags a data exchange (`dex`, §8.9) typically carries, with the
// checks needed before a tag value goes back to the kernel in `terminal-tags`.
// Facts from EMV 4.x Book 3 Annex A and contactless Books C-2/C-3.

/**
 * EMV data formats. `var` = the format depends on the kernel or card, so only the length is
 * checked.
 */
export type EmvFormat = 'n' | 'an' | 'ans' | 'b' | 'cn' | 'var';

/** Length of the value in bytes; `max` absent = no upper bound given by the specification. */
export type EmvLength = { readonly fixed: number } | { readonly min: number; readonly max?: number };

export interface EmvTagInfo {
  readonly tag: string;
  readonly name: string;
  readonly format: EmvFormat;
  readonly length: EmvLength;
}

type Entry = readonly [name: string, format: EmvFormat, length: number | readonly [number, number?]];

const ENTRIES: Readonly<Record<string, Entry>> = {
  '4F': ['Application Identifier (AID) – card', 'b', [5, 16]],
  '50': ['Application Label', 'ans', [1, 16]],
  '57': ['Track 2 Equivalent Data', 'b', [1, 19]],
  '5A': ['Application Primary Account Number (PAN)', 'cn', [1, 10]],
  '5F20': ['Cardholder Name', 'ans', [2, 26]],
  '5F24': ['Application Expiration Date', 'n', 3],
  '5F25': ['Application Effective Date', 'n', 3],
  '5F28': ['Issuer Country Code', 'n', 2],
  '5F2A': ['Transaction Currency Code', 'n', 2],
  '5F2D': ['Language Preference', 'an', [2, 8]],
  '5F30': ['Service Code', 'n', 2],
  '5F34': ['Application PAN Sequence Number', 'n', 1],
  '5F36': ['Transaction Currency Exponent', 'n', 1],
  '82': ['Application Interchange Profile', 'b', 2],
  '84': ['Dedicated File (DF) Name', 'b', [5, 16]],
  '87': ['Application Priority Indicator', 'b', 1],
  '8A': ['Authorisation Response Code', 'an', 2],
  '8C': ['Card Risk Management Data Object List 1 (CDOL1)', 'b', [1, 252]],
  '8D': ['Card Risk Management Data Object List 2 (CDOL2)', 'b', [1, 252]],
  '8E': ['Cardholder Verification Method (CVM) List', 'b', [10, 252]],
  '8F': ['Certification Authority Public Key Index', 'b', 1],
  '94': ['Application File Locator (AFL)', 'b', [1, 252]],
  '95': ['Terminal Verification Results', 'b', 5],
  '9A': ['Transaction Date', 'n', 3],
  '9B': ['Transaction Status Information', 'b', 2],
  '9C': ['Transaction Type', 'n', 1],
  '9F01': ['Acquirer Identifier', 'n', 6],
  '9F02': ['Amount, Authorised (Numeric)', 'n', 6],
  '9F03': ['Amount, Other (Numeric)', 'n', 6],
  '9F06': ['Application Identifier (AID) – terminal', 'b', [5, 16]],
  '9F07': ['Application Usage Control', 'b', 2],
  '9F08': ['Application Version Number – card', 'b', 2],
  '9F09': ['Application Version Number – terminal', 'b', 2],
  '9F0D': ['Issuer Action Code – Default', 'b', 5],
  '9F0E': ['Issuer Action Code – Denial', 'b', 5],
  '9F0F': ['Issuer Action Code – Online', 'b', 5],
  '9F10': ['Issuer Application Data', 'b', [1, 32]],
  '9F11': ['Issuer Code Table Index', 'n', 1],
  '9F12': ['Application Preferred Name', 'ans', [1, 16]],
  '9F15': ['Merchant Category Code', 'n', 2],
  '9F16': ['Merchant Identifier', 'ans', 15],
  '9F1A': ['Terminal Country Code', 'n', 2],
  '9F1C': ['Terminal Identification', 'an', 8],
  '9F1E': ['Interface Device (IFD) Serial Number', 'an', 8],
  '9F21': ['Transaction Time', 'n', 3],
  '9F26': ['Application Cryptogram', 'b', 8],
  '9F27': ['Cryptogram Information Data', 'b', 1],
  '9F33': ['Terminal Capabilities', 'b', 3],
  '9F34': ['Cardholder Verification Method (CVM) Results', 'b', 3],
  '9F35': ['Terminal Type', 'n', 1],
  '9F36': ['Application Transaction Counter (ATC)', 'b', 2],
  '9F37': ['Unpredictable Number', 'b', 4],
  '9F39': ['Point-of-Service (POS) Entry Mode', 'n', 1],
  '9F40': ['Additional Terminal Capabilities', 'b', 5],
  '9F41': ['Transaction Sequence Counter', 'n', [2, 4]],
  '9F42': ['Application Currency Code', 'n', 2],
  // C-2 (Mastercard) Transaction Category Code is `an 1`; card-side profiles give the
  // tag other one-byte meanings, so only the length is checked.
  '9F53': ['Transaction Category Code', 'var', 1],
  '9F66': ['Terminal Transaction Qualifiers (TTQ)', 'b', 4],
  // C-3 Form Factor Indicator (4), C-2 Third Party Data (5..32), C-4 reader capabilities (4).
  '9F6E': ['Form Factor Indicator / Third Party Data', 'b', [4, 32]],
  // C-3 Customer Exclusive Data (up to 32), C-2 Merchant Custom Data (20).
  '9F7C': ['Customer Exclusive Data / Merchant Custom Data', 'b', [1, 32]],
  DF8112: ['Tags To Read', 'b', [1]],
  DF8115: ['Error Indication', 'b', 6],
  DF8116: ['User Interface Request Data', 'b', 22],
  DF8117: ['Card Data Input Capability', 'b', 1],
  DF8118: ['CVM Capability – CVM Required', 'b', 1],
  DF8119: ['CVM Capability – No CVM Required', 'b', 1],
  DF811B: ['Kernel Configuration', 'b', 1],
  // The JPAY document names DF811E the Data Exchange Tag List of non-Mastercard kernels;
  // in Book C-2 the same tag is the one-byte Mag-stripe CVM Capability – CVM Required.
  // The length rule admits both.
  DF811E: ['Data Exchange Tag List (C-2: Mag-stripe CVM Capability – CVM Required)', 'b', [1]],
  DF811F: ['Security Capability', 'b', 1],
  DF8120: ['Terminal Action Code – Default', 'b', 5],
  DF8121: ['Terminal Action Code – Denial', 'b', 5],
  DF8122: ['Terminal Action Code – Online', 'b', 5],
  DF8123: ['Reader Contactless Floor Limit', 'n', 6],
  DF8124: ['Reader Contactless Transaction Limit (No On-device CVM)', 'n', 6],
  DF8125: ['Reader Contactless Transaction Limit (On-device CVM)', 'n', 6],
  DF8126: ['Reader CVM Required Limit', 'n', 6],
  DF8129: ['Outcome Parameter Set', 'b', 8],
  DF812C: ['Mag-stripe CVM Capability – No CVM Required', 'b', 1],
  DF812D: ['Message Hold Time', 'n', 3],
};

function toInfo(tag: string, [name, format, length]: Entry): EmvTagInfo {
  const rule: EmvLength =
    typeof length === 'number'
      ? { fixed: length }
      : length[1] === undefined
        ? { min: length[0] }
        : { min: length[0], max: length[1] };
  return { tag, name, format, length: rule };
}

export const EMV_TAGS: Readonly<Record<string, EmvTagInfo>> = Object.freeze(
  Object.fromEntries(Object.entries(ENTRIES).map(([tag, entry]) => [tag, toInfo(tag, entry)])),
);

/**
 * BER-TLV tag syntax (EMV Book 3 Annex B): 1..4 bytes of hex; a first byte whose low five
 * bits are all set announces subsequent bytes, each with b8 set except the last.
 */
export function isValidTagName(name: string): boolean {
  if (typeof name !== 'string' || !/^([0-9A-Fa-f]{2}){1,4}$/.test(name)) return false;
  const bytes = Buffer.from(name, 'hex');
  const multiByte = (bytes[0] & 0x1f) === 0x1f;
  if (!multiByte) return bytes.length === 1;
  if (bytes.length === 1) return false;
  for (let i = 1; i < bytes.length; i++) {
    const more = (bytes[i] & 0x80) !== 0;
    if (more !== (i < bytes.length - 1)) return false;
  }
  return true;
}

export function lookupTag(name: string): EmvTagInfo | undefined {
  if (typeof name !== 'string') return undefined;
  const key = name.trim().toUpperCase();
  return Object.hasOwn(EMV_TAGS, key) ? EMV_TAGS[key] : undefined;
}

export type TagValidation = { ok: true; known: boolean } | { ok: false; reason: string };

function lengthProblem(bytes: number, rule: EmvLength): string | undefined {
  if ('fixed' in rule) return bytes === rule.fixed ? undefined : `must be ${rule.fixed} bytes, got ${bytes}`;
  if (bytes < rule.min) return `must be at least ${rule.min} bytes, got ${bytes}`;
  if (rule.max !== undefined && bytes > rule.max) return `must be at most ${rule.max} bytes, got ${bytes}`;
  return undefined;
}

const isAlnum = (b: number): boolean =>
  (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
// `ans`: printable characters of an ISO 8859 table, i.e. no C0, DEL or C1 controls.
const isPrintable = (b: number): boolean => (b >= 0x20 && b <= 0x7e) || b >= 0xa0;

function formatProblem(hex: string, bytes: Buffer, format: EmvFormat): string | undefined {
  switch (format) {
    case 'n':
      return /^[0-9]*$/.test(hex) ? undefined : 'format n allows BCD digits 0-9 only';
    case 'cn':
      return /^[0-9]+[Ff]*$/.test(hex) ? undefined : 'format cn allows digits 0-9 padded on the right with F only';
    case 'an':
      return bytes.every(isAlnum) ? undefined : 'format an allows ASCII letters and digits only';
    case 'ans':
      return bytes.every(isPrintable) ? undefined : 'format ans does not allow control characters';
    case 'b':
    case 'var':
      return undefined;
  }
}

/**
 * Checks a tag name and its hex value. Known tags must match their format and length rule.
 * Unknown tags pass with `known: false` when the name is BER-TLV syntax and the value is
 * even-length hex: kernels define proprietary tags, and refusing them would block a
 * configured data exchange.
 */
export function validateTagValue(name: string, hexValue: string): TagValidation {
  if (!isValidTagName(name)) return { ok: false, reason: `tag name ${JSON.stringify(name)} is not a valid BER-TLV tag` };
  if (typeof hexValue !== 'string' || !/^[0-9A-Fa-f]*$/.test(hexValue)) {
    return { ok: false, reason: `tag ${name}: value is not hex` };
  }
  if (hexValue.length % 2 !== 0) return { ok: false, reason: `tag ${name}: value has an odd number of hex digits` };
  const info = lookupTag(name);
  if (info === undefined) return { ok: true, known: false };
  const bytes = Buffer.from(hexValue, 'hex');
  const problem = lengthProblem(bytes.length, info.length) ?? formatProblem(hexValue, bytes, info.format);
  return problem === undefined ? { ok: true, known: true } : { ok: false, reason: `tag ${info.tag} (${info.name}): ${problem}` };
}
