// The command table: every `jpay` command, its options, and how its parsed options become
// one typed invocation. Everything here is pure: it validates input and sends nothing.

import type { ReportType, TransactionRequest, TransactionType } from '../../protocol/types';
import { Secret } from '../../protocol/secret';
import { isYYMM } from '../../protocol/values';
import { parseMajorAmount } from './amount';
import { UsageError } from './usage-error';

export interface CliOption {
  type: 'string' | 'boolean';
  /** Placeholder shown in help for a string option (`A`, `SECONDS`). */
  value?: string;
  description: string;
}

export type OptionValues = Record<string, string | boolean | undefined>;

/** Commands that need no arguments and map one-to-one onto a protocol command. */
export type SimpleCommand =
  | 'login'
  | 'logout'
  | 'getparameters'
  | 'testconnection'
  | 'updateconfiguration'
  | 'loadworkkeys'
  | 'loadmasterkeys'
  | 'resetpassword'
  | 'runreset'
  | 'settlement'
  | 'clear';

/** What the CLI will ask the client to do, fully validated. */
export type Invocation =
  | { command: SimpleCommand }
  | { command: 'changepassword'; newPassword: Secret }
  | { command: 'sethostkey'; name: string; material: Secret }
  | { command: 'report'; reportType: ReportType }
  | { command: 'transaction'; request: TransactionRequest; cancelAfterMs?: number }
  /** Not a protocol command: the journal's recovery (lib/cli/jpay/journal.ts). */
  | { command: 'recover'; acknowledge?: string };

export interface CommandSpec {
  name: string;
  summary: string;
  /** Argument synopsis after the command name, for help. */
  synopsis: string;
  options: Readonly<Record<string, CliOption>>;
  /** Needs the admin password (a token command, a password command, or manual card entry). */
  needsPassword: boolean;
  /** Needs --journal FILE. */
  needsJournal?: boolean;
  /** A payment: outcome-unknown rules, Ctrl-C cancellation, approved/declined exit codes. */
  transaction: boolean;
  /** Longer help text, shown by `jpay COMMAND --help`. */
  details?: string;
  plan(values: OptionValues): Invocation;
}

const CANCEL_AFTER: CliOption = {
  type: 'string',
  value: 'SECONDS',
  description: 'cancel the transaction after SECONDS (answered on the next keepalive)',
};
const CURRENCY: CliOption = {
  type: 'string',
  value: 'CODE',
  description: 'ISO 4217 numeric currency, only when it differs from the terminal default (643)',
};

function str(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

function required(values: OptionValues, name: string, command: string): string {
  const v = str(values, name);
  if (v === undefined || v === '') throw new UsageError(`--${name} is required`, command);
  return v;
}

function currency(values: OptionValues, command: string): string | undefined {
  const v = str(values, 'currency');
  if (v === undefined) return undefined;
  if (!/^\d{3}$/.test(v)) throw new UsageError('--currency: expected 3 digits (ISO 4217 numeric, e.g. 643)', command);
  return v;
}

/** Positive seconds (decimals allowed) → milliseconds. Not money, so a float is fine here. */
export function parseSeconds(raw: string | undefined, flag: string, command?: string): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(raw) || Number(raw) <= 0) {
    throw new UsageError(`${flag}: expected a positive number of seconds`, command);
  }
  return Math.round(Number(raw) * 1000);
}

function rrn(values: OptionValues, command: string): string | undefined {
  const v = str(values, 'rrn');
  if (v === undefined) return undefined;
  if (!/^[\x21-\x7e]{12}$/.test(v)) throw new UsageError('--rrn: expected 12 characters', command);
  return v;
}

/** Drops undefined members so requests compare and print cleanly. */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function transaction(request: TransactionRequest, values: OptionValues, command: string): Invocation {
  const cancelAfterMs = parseSeconds(str(values, 'cancel-after'), '--cancel-after', command);
  return compact({ command: 'transaction' as const, request: compact(request), cancelAfterMs });
}

function simple(name: SimpleCommand, summary: string, needsPassword: boolean, details?: string): CommandSpec {
  return {
    name,
    summary,
    synopsis: '',
    options: {},
    needsPassword,
    transaction: false,
    details,
    plan: () => ({ command: name }),
  };
}

const MANUAL_TYPES: Readonly<Record<string, TransactionType>> = {
  purchase: 'purchase',
  refund: 'refund',
  'purchase-with-cashback': 'purchase-with-cashback',
  cashback: 'purchase-with-cashback',
};

const PASSWORD_RULE = /^\d{8}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export const COMMANDS: readonly CommandSpec[] = [
  simple('login', 'log in with the admin password (checks it; with --encrypt also the key exchange)', true),
  simple('logout', 'log in, then end the admin session', true),
  simple('getparameters', 'show the terminal parameters (serial number, TID, MID, versions)', true),
  simple('testconnection', "test the connection from the terminal to the bank's host", true),
  simple('updateconfiguration', 'make the terminal fetch its configuration', true),
  simple('loadworkkeys', 'load the working keys', true),
  simple('loadmasterkeys', 'load the master keys', true),
  {
    name: 'changepassword',
    summary: 'change the admin password',
    synopsis: '--new P',
    options: { new: { type: 'string', value: 'P', description: 'the new admin password (8 digits)' } },
    needsPassword: true,
    transaction: false,
    plan(values) {
      const next = required(values, 'new', 'changepassword');
      if (!PASSWORD_RULE.test(next)) throw new UsageError('--new: the password must be 8 digits', 'changepassword');
      return { command: 'changepassword', newPassword: new Secret(next) };
    },
  },
  simple(
    'resetpassword',
    'reset the admin password to the factory default',
    false,
    'Needs no password: the terminal resets it to its factory default.',
  ),
  {
    name: 'sethostkey',
    summary: 'install a host key',
    synopsis: '--name N --material B64',
    options: {
      name: { type: 'string', value: 'N', description: 'key name' },
      material: { type: 'string', value: 'B64', description: 'the key, Base64' },
    },
    needsPassword: true,
    transaction: false,
    details: 'The key material is secret: use --encrypt so it never crosses the network in clear.',
    plan(values) {
      const name = required(values, 'name', 'sethostkey');
      const material = required(values, 'material', 'sethostkey');
      if (!BASE64.test(material)) throw new UsageError('--material: expected Base64', 'sethostkey');
      return { command: 'sethostkey', name, material: new Secret(material) };
    },
  },
  simple(
    'runreset',
    'reinitialise the terminal through the activator (waits for it on port 4434)',
    true,
    'Progress shows whether the activator has connected; the command ends when it has finished.',
  ),
  {
    name: 'purchase',
    summary: 'take a payment',
    synopsis: '--amount A [--currency CODE] [--sbp | --no-sbp] [--cancel-after SECONDS]',
    options: {
      amount: { type: 'string', value: 'A', description: 'amount in major units, e.g. 123.45' },
      currency: CURRENCY,
      sbp: { type: 'boolean', description: 'offer only SBP (Faster Payments QR code)' },
      'no-sbp': { type: 'boolean', description: 'do not offer SBP' },
      'cancel-after': CANCEL_AFTER,
    },
    needsPassword: false,
    transaction: true,
    plan(values) {
      if (values.sbp === true && values['no-sbp'] === true) {
        throw new UsageError('--sbp and --no-sbp exclude each other', 'purchase');
      }
      const sbp = values.sbp === true ? true : values['no-sbp'] === true ? false : undefined;
      const request: TransactionRequest = {
        type: 'purchase',
        amount: parseMajorAmount(str(values, 'amount'), '--amount'),
        currency: currency(values, 'purchase'),
        sbp,
      };
      return transaction(request, values, 'purchase');
    },
  },
  {
    name: 'refund',
    summary: 'refund a payment',
    synopsis: '--amount A [--rrn R] [--forced] [--sbp] [--currency CODE] [--cancel-after SECONDS]',
    options: {
      amount: { type: 'string', value: 'A', description: 'amount in major units, e.g. 123.45' },
      rrn: { type: 'string', value: 'R', description: 'RRN of the original payment (12 characters)' },
      forced: { type: 'boolean', description: 'refund without the card' },
      sbp: { type: 'boolean', description: 'refund an SBP payment (give its localQrcId as --rrn)' },
      currency: CURRENCY,
      'cancel-after': CANCEL_AFTER,
    },
    needsPassword: false,
    transaction: true,
    plan(values) {
      const request: TransactionRequest = {
        type: 'refund',
        amount: parseMajorAmount(str(values, 'amount'), '--amount'),
        currency: currency(values, 'refund'),
        rrn: rrn(values, 'refund'),
        forced: values.forced === true ? true : undefined,
        sbp: values.sbp === true ? true : undefined,
      };
      return transaction(request, values, 'refund');
    },
  },
  {
    name: 'void',
    summary: 'cancel (reverse) a transaction by its receipt number',
    synopsis: '--number N|last [--amount A] [--cancel-after SECONDS]',
    options: {
      number: { type: 'string', value: 'N', description: "receipt number (up to 6 digits), or 'last' (no card needed)" },
      amount: { type: 'string', value: 'A', description: 'partial void: the amount to reverse, major units' },
      'cancel-after': CANCEL_AFTER,
    },
    needsPassword: false,
    transaction: true,
    plan(values) {
      const raw = required(values, 'number', 'void');
      if (raw !== 'last' && !/^\d{1,6}$/.test(raw)) {
        throw new UsageError("--number: expected a receipt number (up to 6 digits) or 'last'", 'void');
      }
      const amount = str(values, 'amount');
      const request: TransactionRequest = {
        type: 'void',
        number: raw === 'last' ? 'last' : Number(raw),
        amount: amount === undefined ? undefined : parseMajorAmount(amount, '--amount'),
      };
      return transaction(request, values, 'void');
    },
  },
  {
    name: 'cashback',
    summary: 'a purchase with cash back',
    synopsis: '--amount A --cashback A [--currency CODE] [--cancel-after SECONDS]',
    options: {
      amount: { type: 'string', value: 'A', description: 'purchase amount, major units' },
      cashback: { type: 'string', value: 'A', description: 'cash to hand out, major units' },
      currency: CURRENCY,
      'cancel-after': CANCEL_AFTER,
    },
    needsPassword: false,
    transaction: true,
    plan(values) {
      const request: TransactionRequest = {
        type: 'purchase-with-cashback',
        amount: parseMajorAmount(str(values, 'amount'), '--amount'),
        amountOther: parseMajorAmount(str(values, 'cashback'), '--cashback'),
        currency: currency(values, 'cashback'),
      };
      return transaction(request, values, 'cashback');
    },
  },
  {
    name: 'manual',
    summary: 'a transaction with card data typed in (needs the admin password)',
    synopsis:
      '--type purchase|refund|cashback --amount A --pan PAN --expiry YYMM [--cardholder NAME] [--cashback A] [--rrn R] [--currency CODE] [--cancel-after SECONDS]',
    options: {
      type: { type: 'string', value: 'T', description: 'purchase, refund or cashback (purchase-with-cashback)' },
      amount: { type: 'string', value: 'A', description: 'amount in major units' },
      pan: { type: 'string', value: 'PAN', description: 'card number, 12-19 digits (never printed in full)' },
      expiry: { type: 'string', value: 'YYMM', description: 'card expiry' },
      cardholder: { type: 'string', value: 'NAME', description: 'cardholder name' },
      cashback: { type: 'string', value: 'A', description: 'cash back, major units (type cashback)' },
      rrn: { type: 'string', value: 'R', description: 'RRN of the original payment (type refund)' },
      currency: CURRENCY,
      'cancel-after': CANCEL_AFTER,
    },
    needsPassword: true,
    transaction: true,
    plan(values) {
      const typeName = required(values, 'type', 'manual');
      const type = Object.hasOwn(MANUAL_TYPES, typeName) ? MANUAL_TYPES[typeName] : undefined;
      if (type === undefined) throw new UsageError('--type: expected purchase, refund or cashback', 'manual');
      const amount = parseMajorAmount(str(values, 'amount'), '--amount');
      const pan = required(values, 'pan', 'manual');
      // The message never repeats the value: it is a card number.
      if (!/^\d{12,19}$/.test(pan)) throw new UsageError('--pan: expected 12 to 19 digits', 'manual');
      const expiry = required(values, 'expiry', 'manual');
      if (!isYYMM(expiry)) throw new UsageError('--expiry: expected YYMM, e.g. 2712', 'manual');
      const cashback = str(values, 'cashback');
      if (type === 'purchase-with-cashback' && cashback === undefined) {
        throw new UsageError('--cashback is required with --type cashback', 'manual');
      }
      if (type !== 'purchase-with-cashback' && cashback !== undefined) {
        throw new UsageError('--cashback is only for --type cashback', 'manual');
      }
      if (type !== 'refund' && values.rrn !== undefined) {
        throw new UsageError('--rrn is only for --type refund', 'manual');
      }
      const cardholder = str(values, 'cardholder');
      if (cardholder !== undefined && !/^[\x20-\x7e]{1,26}$/.test(cardholder)) {
        throw new UsageError('--cardholder: expected 1 to 26 printable ASCII characters', 'manual');
      }
      const request: TransactionRequest = {
        type,
        amount,
        amountOther: cashback === undefined ? undefined : parseMajorAmount(cashback, '--cashback'),
        currency: currency(values, 'manual'),
        rrn: rrn(values, 'manual'),
        manual: compact({ pan, expiry, cardholder }),
      };
      return transaction(request, values, 'manual');
    },
  },
  {
    name: 'report',
    summary: 'X-report: totals since the last settlement (--full lists every transaction)',
    synopsis: '[--full]',
    options: { full: { type: 'boolean', description: 'list every transaction, not only the totals' } },
    needsPassword: true,
    transaction: false,
    plan: (values) => ({ command: 'report', reportType: values.full === true ? 'full' : 'brief' }),
  },
  simple('settlement', 'close the day with the bank (settlement), then clear the log', true),
  simple('clear', 'delete the local transaction log and do the cutover, without a settlement', true),
  {
    name: 'recover',
    summary: "resolve the journal's unknown outcomes from the terminal's report; list what needs a person",
    synopsis: '[--acknowledge ID]',
    options: {
      acknowledge: { type: 'string', value: 'ID', description: 'mark an outcome kept for a Node-RED node as taken by you (it is then never delivered)' },
    },
    needsPassword: true,
    needsJournal: true,
    transaction: false,
    details: [
      'Reads the full report and settles every transaction of this terminal in the journal whose',
      'outcome is unknown (approved, or declined / not recorded; never sent again). Then lists what',
      'recovery could not decide and the outcomes kept for Node-RED nodes that never received them.',
      "Stop Node-RED first when FILE is its terminal's journal: one process at a time.",
    ].join('\n'),
    plan: (values) => compact({ command: 'recover' as const, acknowledge: str(values, 'acknowledge') }),
  },
];

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}
