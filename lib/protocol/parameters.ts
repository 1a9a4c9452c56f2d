/**
 * getparameters `<parameters>` (§8.8), loadworkkeys receipts (§8.5) and the loadmasterkeys
 * receipt (§8.6), both directions. All values stay strings as sent.
 */
import { childElement, XmlElement } from '../codec/packet';
import { fieldTable, readFields, setIf, text, writeFields } from './fields';
import { MasterKeysReceipt, TerminalParameters, WorkKeysReceipt } from './types';

/** `<parameters>` children in the document's order: all text, each key the name in camelCase (`firmware-mcu` → firmwareMcu). */
export const PARAMETER_ROWS = [
  ...['sn', 'app', 'firmware-mcu', 'firmware-boot', 'os', 'sdk', 'tid', 'mid', 'tconf', 'ntconf', 'cconf', 'ncconf', 'econf'],
  ...['neconf', 'kconf', 'nkconf', 'acqid', 'cccert', 'csca', 'cshost', 'accert', 'asca', 'ashost', 'kccert', 'ksca', 'devid'],
] as const;
const PARAMETER_FIELDS = fieldTable<TerminalParameters>(...PARAMETER_ROWS);

/** `<parameters>` → TerminalParameters. The document's field list misspells cccert as `ccert`: both are read. */
export function parseParameters(el: XmlElement): TerminalParameters {
  const p = readFields<TerminalParameters>(el, PARAMETER_FIELDS, {});
  if (p.cccert === undefined) setIf(p, 'cccert', text(el, 'ccert'));
  return p;
}

export function parametersToElement(p: TerminalParameters): XmlElement {
  return writeFields(p, PARAMETER_FIELDS);
}

/** Reads `mac-change-receipt/rrn` and `net-change-receipt/rrn` from the loadworkkeys response body. */
export function parseWorkKeysReceipt(body: XmlElement): WorkKeysReceipt {
  const r: WorkKeysReceipt = {};
  setIf(r, 'macChangeRrn', text(childElement(body, 'mac-change-receipt'), 'rrn'));
  setIf(r, 'netChangeRrn', text(childElement(body, 'net-change-receipt'), 'rrn'));
  return r;
}

/** WorkKeysReceipt → the response body children (`mac-change-receipt`, `net-change-receipt`). */
export function workKeysToElements(r: WorkKeysReceipt): XmlElement {
  const el: XmlElement = {};
  if (r.macChangeRrn !== undefined) el['mac-change-receipt'] = { rrn: r.macChangeRrn };
  if (r.netChangeRrn !== undefined) el['net-change-receipt'] = { rrn: r.netChangeRrn };
  return el;
}

/** The KCVs of the PIN and the MAC master key (MasterKeysReceipt is declared from these rows). */
export const MASTER_KEYS_ROWS = [['pkcv', 'pinKcv', 'text'], ['mkcv', 'macKcv', 'text']] as const;
const MASTER_KEYS_FIELDS = fieldTable<MasterKeysReceipt>(...MASTER_KEYS_ROWS);

/** `<receipt><pkcv/><mkcv/></receipt>` of loadmasterkeys → MasterKeysReceipt. */
export function parseMasterKeysReceipt(el: XmlElement): MasterKeysReceipt {
  return readFields<MasterKeysReceipt>(el, MASTER_KEYS_FIELDS, {});
}

export function masterKeysToElement(r: MasterKeysReceipt): XmlElement {
  return writeFields(r, MASTER_KEYS_FIELDS);
}
