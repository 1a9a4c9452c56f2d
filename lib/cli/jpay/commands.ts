// The command table: every `jpay` command, its options, and how its parsed options become
// one typed invocation. Everything here is pure: it sends nothing. The options are only
// converted (major-unit amounts, flags); every rule about a parameter is the protocol's
// (lib/protocol/schemas.ts), and its errors name the option the user typed (`--cashback`).

import { definedOnly } from '../../objects';
import { JpayValidationError } from '../../errors';
import type { CommandName, ReportType, TransactionRequest, TransactionType } from '../../protocol/types';
import { Secret } from '../../protocol/secret';
import { validateSendParams, type FieldNamer } from '../../protocol/validation';
import { numberIfDigits } from '../../protocol/values';
import { parseMajorAmount, parseMinorAmount } from './amount';
import { UsageError } from './usage-error';

export interface CliOption {
  type: 'string' | 'boolean';
  /** Placeholder shown in help for a string option (`A`, `SECONDS`). */
  value?: string;
  description: string;
}

export type OptionValues = Record<string, string | boolean | undefined>;

/** Commands that need no arguments and map one-to-one onto a protocol command. */
type SimpleCommand = Exclude<CommandName, 'changepassword' | 'sethostkey' | 'report' | 'transaction'>;

/** What the CLI will ask the client to do, fully validated: the protocol command and its parameters, secrets as Secret. */
export type Invocation =
  | { command: SimpleCommand }
  | { command: 'changepassword'; params: { newPassword: Secret } }
  | { command: 'sethostkey'; params: { name: string; material: Secret } }
  | { command: 'report'; params: { reportType: ReportType } }
  | { command: 'transaction'; params: TransactionRequest; cancelAfterMs?: number }
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

/** An option that takes a value (shown as `value` in help). */
export const text = (value: string, description: string): CliOption => ({ type: 'string', value, description });
export const flag = (description: string): CliOption => ({ type: 'boolean', description });

const CANCEL_AFTER = text('SECONDS', 'cancel the transaction after SECONDS (answered on the next keepalive)');
const AMOUNT = text('A', 'amount in major units, e.g. 123.45');
const AMOUNT_MINOR = text('K', 'the amount in minor units (kopecks), e.g. 12345; instead of --amount');
const CURRENCY = text('CODE', 'ISO 4217 numeric currency, only when it differs from the terminal default (643)');

/** A string option's value (undefined when absent or a flag). */
export function str(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** Parameter paths whose option has another name. */
const OPTION_OF: Readonly<Record<string, string>> = {
  amountOther: 'cashback',
  newPassword: 'new',
  manual: 'pan',
  'manual.pan': 'pan',
  'manual.expiry': 'expiry',
  'manual.cardholder': 'cardholder',
};

/** The option that sets a parameter: `amountOther` → `--cashback`. */
export const optionOf: FieldNamer = (field) => `--${OPTION_OF[field] ?? field}`;

/** Runs a check of the protocol's rules; its JpayValidationError (naming the option) becomes a usage error. */
export function asUsage(check: () => void, cli?: string): void {
  try {
    check();
  } catch (error) {
    if (error instanceof JpayValidationError) throw new UsageError(error.message, cli);
    throw error;
  }
}

/** The parameters the client will be given, checked against the protocol's rules. */
function checked<P extends object>(command: CommandName, params: P, cli: string): P {
  asUsage(() => validateSendParams(command, params, optionOf), cli);
  return params;
}

/** Positive seconds (decimals allowed) → milliseconds. Not money, so a float is fine here. */
export function parseSeconds(raw: string | undefined, flag: string, command?: string): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(raw) || Number(raw) <= 0) {
    throw new UsageError(`${flag}: expected a positive number of seconds`, command);
  }
  return Math.round(Number(raw) * 1000);
}

function amount(values: OptionValues, name: string): number | undefined {
  return parseMajorAmount(str(values, name), `--${name}`);
}

/** `--amount A` (major units) or `--amount-minor K` (minor units): one of them, never both. */
function mainAmount(values: OptionValues): number | undefined {
  const minor = str(values, 'amount-minor');
  if (minor !== undefined && str(values, 'amount') !== undefined) throw new UsageError('--amount and --amount-minor exclude each other');
  return minor === undefined ? amount(values, 'amount') : parseMinorAmount(minor, '--amount-minor');
}

interface PaymentSpec extends Pick<CommandSpec, 'name' | 'summary' | 'synopsis' | 'options'> {
  needsPassword?: boolean;
  /** The request the options describe, before the rules (currency and undefined members are added and dropped here). */
  request(values: OptionValues): Partial<TransactionRequest>;
}

/** A payment command: its request checked by the protocol's rules, `--cancel-after` and the outcome rules. */
function payment(spec: PaymentSpec): CommandSpec {
  const { request, needsPassword = false, ...rest } = spec;
  return {
    ...rest,
    options: { ...spec.options, ...('amount' in spec.options ? { 'amount-minor': AMOUNT_MINOR } : {}), 'cancel-after': CANCEL_AFTER },
    needsPassword,
    transaction: true,
    plan(values) {
      const params = definedOnly({ ...request(values), currency: str(values, 'currency') }) as TransactionRequest;
      const cancelAfterMs = parseSeconds(str(values, 'cancel-after'), '--cancel-after', spec.name);
      return definedOnly({ command: 'transaction' as const, params: checked('transaction', params, spec.name), cancelAfterMs });
    },
  };
}

/** A command that is not a payment; it needs the admin password unless told otherwise. */
function command(spec: Pick<CommandSpec, 'name' | 'summary' | 'plan'> & Partial<CommandSpec>): CommandSpec {
  return { synopsis: '', options: {}, needsPassword: true, transaction: false, ...spec };
}

function simple(name: SimpleCommand, summary: string, needsPassword = true, details?: string): CommandSpec {
  return command({ name, summary, needsPassword, details, plan: () => ({ command: name }) });
}

const MANUAL_TYPES: Readonly<Record<string, TransactionType>> = {
  purchase: 'purchase',
  refund: 'refund',
  'purchase-with-cashback': 'purchase-with-cashback',
  cashback: 'purchase-with-cashback',
};

export const COMMANDS: readonly CommandSpec[] = [
  simple('login', 'log in with the admin password (checks it; with --encrypt also the key exchange)'),
  simple('logout', 'log in, then end the admin session'),
  simple('getparameters', 'show the terminal parameters (serial number, TID, MID, versions)'),
  simple('testconnection', "test the connection from the terminal to the bank's host"),
  simple('updateconfiguration', 'make the terminal fetch its configuration'),
  simple('loadworkkeys', 'load the working keys'),
  simple('loadmasterkeys', 'load the master keys'),
  command({
    name: 'changepassword',
    summary: 'change the admin password',
    synopsis: '--new P',
    options: { new: text('P', 'the new admin password (8 digits)') },
    plan(values) {
      const { newPassword } = checked('changepassword', { newPassword: str(values, 'new') }, 'changepassword');
      return { command: 'changepassword', params: { newPassword: new Secret(newPassword as string) } };
    },
  }),
  simple(
    'resetpassword',
    'reset the admin password to the factory default',
    false,
    'Needs no password: the terminal resets it to its factory default.',
  ),
  command({
    name: 'sethostkey',
    summary: 'install a host key',
    synopsis: '--name N --material B64',
    options: { name: text('N', 'key name'), material: text('B64', 'the key, Base64') },
    details: 'The key material is secret: use --encrypt so it never crosses the network in clear.',
    plan(values) {
      const { name, material } = checked('sethostkey', { name: str(values, 'name'), material: str(values, 'material') }, 'sethostkey');
      return { command: 'sethostkey', params: { name: name as string, material: new Secret(material as string) } };
    },
  }),
  simple(
    'runreset',
    'reinitialise the terminal through the activator (waits for it on port 4434)',
    true,
    'Progress shows whether the activator has connected; the command ends when it has finished.',
  ),
  payment({
    name: 'purchase',
    summary: 'take a payment',
    synopsis: '--amount A [--currency CODE] [--sbp | --no-sbp] [--cancel-after SECONDS]',
    options: {
      amount: AMOUNT,
      currency: CURRENCY,
      sbp: flag('offer only SBP (Faster Payments QR code)'),
      'no-sbp': flag('do not offer SBP'),
    },
    request(values) {
      if (values.sbp === true && values['no-sbp'] === true) throw new UsageError('--sbp and --no-sbp exclude each other', 'purchase');
      const sbp = values.sbp === true ? true : values['no-sbp'] === true ? false : undefined;
      return { type: 'purchase', amount: mainAmount(values), sbp };
    },
  }),
  payment({
    name: 'refund',
    summary: 'refund a payment',
    synopsis: '--amount A [--rrn R] [--forced] [--sbp] [--currency CODE] [--cancel-after SECONDS]',
    options: {
      amount: AMOUNT,
      rrn: text('R', 'RRN of the original payment (12 characters; with --sbp its SBP id, 1 to 12)'),
      forced: flag('refund without the card'),
      sbp: flag('refund an SBP payment (give its localQrcId as --rrn)'),
      currency: CURRENCY,
    },
    request: (values) => ({
      type: 'refund',
      amount: mainAmount(values),
      rrn: str(values, 'rrn'),
      forced: values.forced === true ? true : undefined,
      sbp: values.sbp === true ? true : undefined,
    }),
  }),
  payment({
    name: 'void',
    summary: 'cancel (reverse) a transaction by its receipt number',
    synopsis: '--number N|last [--amount A] [--cancel-after SECONDS]',
    options: {
      number: text('N', "receipt number (up to 6 digits), or 'last' (no card needed)"),
      amount: text('A', 'partial void: the amount to reverse, major units'),
    },
    request: (values) => ({ type: 'void', number: numberIfDigits(str(values, 'number')) as number, amount: mainAmount(values) }),
  }),
  payment({
    name: 'cashback',
    summary: 'a purchase with cash back',
    synopsis: '--amount A --cashback A [--currency CODE] [--cancel-after SECONDS]',
    options: {
      amount: text('A', 'purchase amount, major units'),
      cashback: text('A', 'cash to hand out, major units'),
      currency: CURRENCY,
    },
    request: (values) => ({ type: 'purchase-with-cashback', amount: mainAmount(values), amountOther: amount(values, 'cashback') }),
  }),
  payment({
    name: 'manual',
    summary: 'a transaction with card data typed in (needs the admin password)',
    synopsis:
      '--type purchase|refund|cashback --amount A --pan PAN --expiry YYMM [--cardholder NAME] [--cashback A] [--rrn R] [--currency CODE] [--cancel-after SECONDS]',
    options: {
      type: text('T', 'purchase, refund or cashback (purchase-with-cashback)'),
      amount: text('A', 'amount in major units'),
      pan: text('PAN', 'card number, 12-19 digits (never printed in full)'),
      expiry: text('YYMM', 'card expiry'),
      cardholder: text('NAME', 'cardholder name'),
      cashback: text('A', 'cash back, major units (type cashback)'),
      rrn: text('R', 'RRN of the original payment (type refund)'),
      currency: CURRENCY,
    },
    needsPassword: true,
    request(values) {
      const typeName = str(values, 'type');
      const type = typeName === undefined || !Object.hasOwn(MANUAL_TYPES, typeName) ? undefined : MANUAL_TYPES[typeName];
      if (typeName !== undefined && type === undefined) throw new UsageError('--type: expected purchase, refund or cashback', 'manual');
      return {
        type,
        amount: mainAmount(values),
        amountOther: amount(values, 'cashback'),
        rrn: str(values, 'rrn'),
        manual: definedOnly({ pan: str(values, 'pan') as string, expiry: str(values, 'expiry') as string, cardholder: str(values, 'cardholder') }),
      };
    },
  }),
  command({
    name: 'report',
    summary: 'X-report: totals since the last settlement (--full lists every transaction)',
    synopsis: '[--full]',
    options: { full: flag('list every transaction, not only the totals') },
    plan: (values) => ({ command: 'report', params: { reportType: values.full === true ? 'full' : 'brief' } }),
  }),
  simple('settlement', 'close the day with the bank (settlement), then clear the log'),
  simple('clear', 'delete the local transaction log and do the cutover, without a settlement'),
  command({
    name: 'recover',
    summary: "resolve the journal's unknown outcomes from the terminal's report; list what needs a person",
    synopsis: '[--acknowledge ID]',
    options: {
      acknowledge: text('ID', 'mark an outcome kept for a Node-RED node as taken by you (it is then never delivered)'),
    },
    needsJournal: true,
    details: [
      'Reads the full report and settles every transaction of this terminal in the journal whose',
      'outcome is unknown (approved, or declined / not recorded; never sent again). Then lists what',
      'recovery could not decide and the outcomes kept for Node-RED nodes that never received them.',
      "Stop Node-RED first when FILE is its terminal's journal: one process at a time.",
    ].join('\n'),
    plan: (values) => definedOnly({ command: 'recover' as const, acknowledge: str(values, 'acknowledge') }),
  }),
];

/** The parameters as the client takes them: a Secret is revealed here, as it is sent, and nowhere else. */
export function sendParams(invocation: Invocation): Record<string, unknown> {
  const params = 'params' in invocation ? invocation.params : {};
  return Object.fromEntries(Object.entries(params).map(([name, value]) => [name, value instanceof Secret ? value.reveal() : value]));
}

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}
