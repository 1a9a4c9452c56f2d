/**
 * Test cards (like Stripe's test card numbers): each one is a contactless bank card the
 * simulator can "present", with its EMV application data and, for some, a fixed outcome.
 * The full PAN lives only here and in memory while a transaction runs; the log keeps the
 * masked form.
 */
import type { Cvm, OutcomeSpec } from './outcome';

export interface TestCard {
  /** Short name used by the control API and scenario files (`visa`, `mc-cdcvm`…). */
  id: string;
  pan: string;
  /** Expiry, YYMM. */
  expiry: string;
  /** Scheme name used for report totals (`VISA`, `MASTERCARD`, `MIR`…). */
  scheme: string;
  /** Registered application provider id: the first 10 hex digits of the AID. */
  rid: string;
  aid: string;
  appname: string;
  alabel?: string;
  /** Application Preferred Name (9F12), hex. */
  apname?: string;
  /** Issuer Code Table Index (9F11). */
  ictId?: string;
  cvm: Cvm;
  /** Fixed outcome of this card (absent: approve). */
  outcome?: OutcomeSpec;
  description: string;
}

const VISA = { scheme: 'VISA', rid: 'A000000003', aid: 'A0000000031010', appname: 'VISA', alabel: 'VISA CREDIT' };
const MC = { scheme: 'MASTERCARD', rid: 'A000000004', aid: 'A0000000041010', appname: 'Mastercard', alabel: 'MASTERCARD' };
// 9F12 "МИР" in ISO 8859-5 (code table 05): shows the apname/ict-id decoding.
const MIR = { scheme: 'MIR', rid: 'A000000658', aid: 'A0000006581010', appname: 'MIR', alabel: 'MIR', apname: 'BCB8C0', ictId: '05' };
const UNIONPAY = { scheme: 'UNIONPAY', rid: 'A000000333', aid: 'A000000333010101', appname: 'UnionPay', alabel: 'UnionPay Credit' };

/** A test card with the usual expiry (12/30) and no CVM unless `extra` says otherwise. */
function testCard(id: string, pan: string, scheme: typeof VISA, description: string, extra: Partial<TestCard> = {}): TestCard {
  return { id, pan, expiry: '3012', ...scheme, cvm: 'no', description, ...extra };
}

export const TEST_CARDS: readonly TestCard[] = [
  testCard('visa', '4111111111111111', VISA, 'Visa, approved (the default card)'),
  testCard('mastercard', '5555555555554444', MC, 'Mastercard, approved'),
  testCard('mir', '2200000000000053', MIR, 'MIR, approved; apname in ISO 8859-5'),
  testCard('unionpay', '6221260000000000', UNIONPAY, 'UnionPay, approved'),
  testCard('visa-pin', '4000000000000119', VISA, 'Visa, approved with online PIN (display 09)', { cvm: 'online' }),
  testCard('mc-cdcvm', '5100000000000024', MC, 'Mastercard on a phone, approved with CDCVM (receipt cdcvm=yes)', { cvm: 'cdcvm' }),
  testCard('mir-signature', '2200000000000079', MIR, 'MIR, approved with signature (display 1A)', { cvm: 'signature' }),
  testCard('visa-declined', '4000000000000002', VISA, 'Visa, declined online (051 insufficient funds)', {
    outcome: { declineReason: 'onlinedeclined', respCode: '051', respCodeDescription: 'Insufficient funds' },
  }),
  testCard('mc-expired', '5200000000000007', MC, 'Mastercard, declined online (054 expired card)', {
    expiry: '2001',
    outcome: { declineReason: 'onlinedeclined', respCode: '054', respCodeDescription: 'Expired card' },
  }),
  testCard('visa-offline-declined', '4000000000000069', VISA, 'Visa, declined offline by the card (Z1)', { outcome: { declineReason: 'offlinedeclined' } }),
  testCard('mir-usechip', '2200000000000111', MIR, 'MIR over the contactless limit: status usechip (display 11)', { outcome: { status: 'usechip' } }),
  testCard('visa-unreadable', '4000000000000127', VISA, 'Visa that cannot be read: status tryanotherinterface (display 18)', {
    outcome: { status: 'tryanotherinterface' },
  }),
];

export const DEFAULT_CARD_ID = 'visa';

/** The scheme of a PAN by its BIN, first match (an unknown BIN is taken as Visa). */
const BIN_SCHEMES: [RegExp, typeof VISA][] = [
  [/^220[0-4]/, MIR],
  [/^4/, VISA],
  [/^(5[1-5]|2[2-7])/, MC],
  [/^62/, UNIONPAY],
];

/** Luhn check digit validation. */
export function isLuhnValid(pan: string): boolean {
  if (!/^\d{12,19}$/.test(pan)) return false;
  let sum = 0;
  for (let i = 0; i < pan.length; i++) {
    let digit = Number(pan[pan.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** A card for a manually entered PAN: the matching test card, else one guessed from the BIN. */
export function cardForManualPan(pan: string, expiry: string, cards: readonly TestCard[]): TestCard {
  const known = cards.find((c) => c.pan === pan);
  if (known) return { ...known, expiry, cvm: 'no' };
  const scheme = BIN_SCHEMES.find(([bin]) => bin.test(pan))?.[1] ?? VISA;
  return { id: 'manual', pan, expiry, ...scheme, cvm: 'no', description: 'manually entered card' };
}

/** Masked as a terminal prints it: only the last 4 digits. */
export function receiptPan(pan: string): string {
  return `${'*'.repeat(Math.max(0, pan.length - 4))}${pan.slice(-4)}`;
}

/** aed (YYMMDD): the last day of the expiry month. */
export function expiryToAed(expiry: string): string {
  const yy = Number(expiry.slice(0, 2));
  const mm = Number(expiry.slice(2, 4));
  const last = new Date(Date.UTC(2000 + yy, mm, 0)).getUTCDate();
  return `${expiry}${String(last).padStart(2, '0')}`;
}

/** True when a YYMM expiry is before the month of `now`. */
export function isExpired(expiry: string, now: Date): boolean {
  const yymm = (now.getFullYear() - 2000) * 100 + now.getMonth() + 1;
  return Number(expiry) < yymm;
}

export function findCard(cards: readonly TestCard[], idOrPan: string): TestCard | undefined {
  return cards.find((c) => c.id === idOrPan || c.pan === idOrPan);
}
