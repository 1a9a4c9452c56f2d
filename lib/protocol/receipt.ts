/**
 * The transaction receipt (§8.9, §8.10), both directions.
 *
 * Parsing is tolerant: a receipt means money may have moved, so a value that does not
 * convert (a malformed amount or date) is kept raw in `extra` under its wire name rather
 * than failing the whole response. `plain-text-pan` is never read into the receipt.
 *
 * Decision (approved): §8.9 says approved ⇔ `tstatus` = approved. SBP and MIFARE receipts
 * may carry no `tstatus`, only `status`: for them `status` = approved decides. When both
 * are present (the CFT example), `tstatus` decides.
 */
import { XmlElement, XmlNode } from '../codec/packet';
import { fieldTable, fromWire, lines, linesElement, put, setIf, text, toWire, tryConvert, type FieldKind } from './fields';
import { Receipt, SbpCftBlock } from './types';
import { decodeApplicationName } from './values';

type Kind = FieldKind | 'lines' | 'cft';

/**
 * The receipt's children in the document's element order (a plain name: text, key in
 * camelCase). Receipt is declared from these rows.
 */
export const RECEIPT_ROWS = [
  ['header', 'header', 'lines'],
  // seq: the receipt number as sent (`000009`); type: purchase, refund, purchasereversal,
  // refundreversal (any string is kept).
  ...['tid', 'mid', 'seq', 'type', 'state'],
  // paymentStatus: approved / declined on SBP and MIFARE receipts; tstatus on card receipts.
  ['status', 'paymentStatus', 'text'],
  'tstatus',
  ['amount-authorized', 'amountAuthorized', 'amount'],
  ['amount-other', 'amountOther', 'amount'],
  ...['currency', 'aid', 'appname', 'apname', 'alabel', 'ict-id', 'pin-entered'],
  ['cdcvm', 'cdcvm', 'yesno'],
  ['signature', 'signature', 'yesno'],
  // pan: masked as the terminal prints it; aed: the card expiry, YYMMDD as sent.
  ...['pan', 'aed', 'rrn', 'resp-code', 'resp-code-description', 'auth-number'],
  // The ISO local date-time of the transaction.
  ['datetime', 'datetime', 'datetime'],
  // iface: `sbp` for SBP receipts, `mifare` for closed-loop MIFARE payments.
  ...['tsi', 'tvr', 'decline-reason', 'acquirer-tag', 'bank-name', 'iface'],
  ['cft', 'cft', 'cft'],
  'error-code',
  ['footer', 'footer', 'lines'],
  'record',
] as const;

const FIELDS = fieldTable<Receipt, Kind>(...RECEIPT_ROWS);

export const PLAIN_TEXT_PAN = 'plain-text-pan';

/** The SBP agent's `<cft>` children (§8.10), each kept as text (SbpCftBlock is declared from them). */
export const CFT_FIELDS = [
  'localQrcId',
  'pointId',
  'mpiOperationStatusDescriptionEng',
  'mpiOperationStatusDescriptionRus',
  'qrcId',
  'extEntityId',
  'paymentPurpose',
] as const;

function parseCft(el: XmlElement): SbpCftBlock | undefined {
  const node = el.cft;
  const block = Array.isArray(node) ? node[0] : node;
  if (block === undefined) return undefined;
  const cft: SbpCftBlock = {};
  if (typeof block === 'object') for (const key of CFT_FIELDS) setIf(cft, key, text(block, key));
  return cft;
}

/** Whether a receipt counts as approved (see the decision at the top of this file). */
export function isReceiptApproved(r: Pick<Receipt, 'tstatus' | 'paymentStatus'>): boolean {
  const decisive = r.tstatus?.trim() ? r.tstatus : r.paymentStatus;
  return decisive?.trim().toLowerCase() === 'approved';
}

/** Receipt key and kind by wire name: parsing walks the children present, not the whole table. */
const FIELD_BY_WIRE: ReadonlyMap<string, readonly [keyof Receipt, Kind]> = new Map(FIELDS.map(([wire, key, kind]) => [wire, [key, kind]]));

/** A `<receipt>` element → Receipt. Unknown children (and unconvertible values) go into `extra`. */
export function parseReceipt(el: XmlElement): Receipt {
  const receipt: Receipt = { header: lines(el, 'header'), footer: lines(el, 'footer'), approved: false };
  const target = receipt as unknown as Record<string, unknown>;
  let extra: XmlElement | undefined;
  for (const wire of Object.keys(el)) {
    const field = FIELD_BY_WIRE.get(wire);
    if (field === undefined) {
      if (wire !== PLAIN_TEXT_PAN) (extra ??= {})[wire] = el[wire];
      continue;
    }
    const [key, kind] = field;
    if (kind === 'lines') continue;
    if (kind === 'cft') {
      const cft = parseCft(el);
      if (cft) receipt.cft = cft;
      continue;
    }
    const raw = text(el, wire);
    const value = kind === 'text' ? raw : tryConvert(raw, (s) => fromWire(s, kind, wire));
    if (value === undefined) (extra ??= {})[wire] = el[wire];
    else target[key] = value;
  }
  if (receipt.seq !== undefined && /^\d{1,9}$/.test(receipt.seq)) receipt.receiptNumber = Number(receipt.seq);
  receipt.approved = isReceiptApproved(receipt);
  const applicationName = decodeApplicationName(receipt);
  if (applicationName !== undefined) receipt.applicationName = applicationName;
  if (extra !== undefined) receipt.extra = extra;
  return receipt;
}

function wireValue(value: unknown, kind: Kind, wire: string): XmlNode | undefined {
  if (value === undefined) return undefined;
  switch (kind) {
    case 'lines': {
      // An empty header/footer carries nothing: it is left out rather than written `<header/>`.
      const list = value as string[];
      return list.length === 0 ? undefined : linesElement(list);
    }
    case 'cft': {
      const cft = value as SbpCftBlock;
      const el: XmlElement = {};
      for (const key of CFT_FIELDS) put(el, key, cft[key]);
      return Object.keys(el).length === 0 ? '' : el;
    }
    default:
      return toWire(value, kind, wire);
  }
}

/**
 * Receipt → `<receipt>` children, in the document's order. Derived fields (`approved`,
 * `receiptNumber`, `applicationName`) are ignored; empty header/footer are left out; `extra` children are appended;
 * `options.plainTextPan` is written as `plain-text-pan` (only ever over an encrypted session).
 */
export function receiptToElement(r: Partial<Receipt>, options: { plainTextPan?: string } = {}): XmlElement {
  const el: XmlElement = {};
  const source = r as Record<string, unknown>;
  for (const [wire, key, kind] of FIELDS) put(el, wire, wireValue(source[key], kind, wire));
  if (r.extra) {
    for (const [name, node] of Object.entries(r.extra)) {
      if (!Object.prototype.hasOwnProperty.call(el, name) && name !== PLAIN_TEXT_PAN) el[name] = node;
    }
  }
  put(el, PLAIN_TEXT_PAN, options.plainTextPan);
  return el;
}
