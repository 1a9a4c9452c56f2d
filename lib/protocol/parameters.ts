/**
 * getparameters `<parameters>` (§8.8), loadworkkeys receipts (§8.5) and the loadmasterkeys
 * receipt (§8.6), both directions. All values stay strings as sent.
 */
import { childElement, XmlElement } from '../codec/packet';
import { put, setIf, text } from './fields';
import { MasterKeysReceipt, TerminalParameters, WorkKeysReceipt } from './types';

/** Wire name → TerminalParameters key, in the document's order (26 fields). */
export const PARAMETER_FIELDS: readonly (readonly [string, keyof TerminalParameters])[] = [
  ['sn', 'sn'],
  ['app', 'app'],
  ['firmware-mcu', 'firmwareMcu'],
  ['firmware-boot', 'firmwareBoot'],
  ['os', 'os'],
  ['sdk', 'sdk'],
  ['tid', 'tid'],
  ['mid', 'mid'],
  ['tconf', 'tconf'],
  ['ntconf', 'ntconf'],
  ['cconf', 'cconf'],
  ['ncconf', 'ncconf'],
  ['econf', 'econf'],
  ['neconf', 'neconf'],
  ['kconf', 'kconf'],
  ['nkconf', 'nkconf'],
  ['acqid', 'acqid'],
  ['cccert', 'cccert'],
  ['csca', 'csca'],
  ['cshost', 'cshost'],
  ['accert', 'accert'],
  ['asca', 'asca'],
  ['ashost', 'ashost'],
  ['kccert', 'kccert'],
  ['ksca', 'ksca'],
  ['devid', 'devid'],
];

/** `<parameters>` → TerminalParameters. The document's field list misspells cccert as `ccert`: both are read. */
export function parseParameters(el: XmlElement): TerminalParameters {
  const p: TerminalParameters = {};
  for (const [wire, key] of PARAMETER_FIELDS) setIf(p, key, text(el, wire));
  if (p.cccert === undefined) setIf(p, 'cccert', text(el, 'ccert'));
  return p;
}

export function parametersToElement(p: TerminalParameters): XmlElement {
  const el: XmlElement = {};
  for (const [wire, key] of PARAMETER_FIELDS) put(el, wire, p[key]);
  return el;
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

/** `<receipt><pkcv/><mkcv/></receipt>` of loadmasterkeys → MasterKeysReceipt. */
export function parseMasterKeysReceipt(el: XmlElement): MasterKeysReceipt {
  const r: MasterKeysReceipt = {};
  setIf(r, 'pinKcv', text(el, 'pkcv'));
  setIf(r, 'macKcv', text(el, 'mkcv'));
  return r;
}

export function masterKeysToElement(r: MasterKeysReceipt): XmlElement {
  const el: XmlElement = {};
  put(el, 'pkcv', r.pinKcv);
  put(el, 'mkcv', r.macKcv);
  return el;
}
