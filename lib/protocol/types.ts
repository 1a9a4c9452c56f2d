/**
 * Typed JPAY objects: requests, responses, receipts, reports and terminal messages.
 * Amounts are integers in minor units (kopecks); signed totals are signed integers;
 * date-times are ISO local strings (`2018-03-28T12:01:33`); identifiers stay strings.
 */
import type { XmlElement } from '../codec/packet';
import type { CamelCase, FieldsOf, KindValue } from './fields';
import type { DISPLAY_ROWS } from './messages';
import type { MASTER_KEYS_ROWS, PARAMETER_ROWS } from './parameters';
import type { CFT_FIELDS, RECEIPT_ROWS } from './receipt';
import type { OPERATIONS, SREPORT_ROWS, TRANSACTION_ROWS } from './report';
import type { Secret } from './secret';

export type Language = 'en' | 'ru';

/**
 * Every command and the admin credentials it carries: the token (§6), the password (§7;
 * changepassword the current one; a manual-entry transaction carries it too), or none.
 */
export const COMMAND_CREDENTIALS = {
  login: 'none',
  logout: 'token',
  changepassword: 'token+password',
  updateconfiguration: 'token',
  loadworkkeys: 'token',
  loadmasterkeys: 'token',
  testconnection: 'token',
  getparameters: 'token',
  transaction: 'none',
  report: 'password',
  settlement: 'password',
  clear: 'password',
  resetpassword: 'none',
  sethostkey: 'token',
  runreset: 'token',
} as const;
type Credentials = typeof COMMAND_CREDENTIALS;
export type CommandName = keyof Credentials;
export type TokenCommand = { [C in CommandName]: Credentials[C] extends `token${string}` ? C : never }[CommandName];

export const COMMAND_NAMES = Object.keys(COMMAND_CREDENTIALS) as readonly CommandName[];
/** Commands that carry the admin token (§6). */
export const TOKEN_COMMANDS = COMMAND_NAMES.filter((c): c is TokenCommand => COMMAND_CREDENTIALS[c].startsWith('token'));
/** Commands that carry the admin password itself (§7); manual-entry transactions too. */
export const PASSWORD_COMMANDS = COMMAND_NAMES.filter((c) => COMMAND_CREDENTIALS[c] === 'password');

export const MESSAGE_NAMES = ['keepalive', 'keep-alive', 'display', 'dex', 'card', 'displayqrcode'] as const;
export type MessageName = (typeof MESSAGE_NAMES)[number];

export const TRANSACTION_TYPES = ['purchase', 'refund', 'void', 'purchase-with-cashback'] as const;
export type TransactionType = (typeof TRANSACTION_TYPES)[number];

export interface ManualCardEntry {
  /** Full card number, 12–19 digits. Never logged; only its masked form leaves the library. */
  pan: string;
  /** Card expiry, YYMM. */
  expiry: string;
  cardholder?: string;
}

export interface TransactionRequest {
  type: TransactionType;
  /** Minor units. Required for purchase, refund and cashback; optional for void (partial void). */
  amount?: number;
  /** Cashback amount in minor units (purchase-with-cashback). */
  amountOther?: number;
  /** ISO 4217 numeric code, only when it differs from the terminal's default. */
  currency?: string;
  /** Refund: RRN of the original (12 characters). */
  rrn?: string;
  /** Void: receipt number (up to 6 digits) or 'last'. */
  number?: number | 'last';
  /** Refund without the card. */
  forced?: boolean;
  /** `force-sbp`: true = only SBP is offered, false = SBP is not offered, absent = as configured. */
  sbp?: boolean;
  /** Manually entered card data (needs the admin password). */
  manual?: ManualCardEntry;
}

export type ReportType = 'brief' | 'full';

/** Everything a request may carry, by command. Secrets are passed in, never stored here. */
export interface RequestParams {
  login: { password: string; clientHandshake?: string };
  logout: { token: string };
  changepassword: { token: string; password: string; newPassword: string };
  updateconfiguration: { token: string };
  loadworkkeys: { token: string };
  loadmasterkeys: { token: string };
  testconnection: { token: string };
  getparameters: { token: string };
  transaction: TransactionRequest & { password?: string };
  report: { password: string; reportType: ReportType };
  settlement: { password: string };
  clear: { password: string };
  resetpassword: Record<string, never>;
  sethostkey: { token: string; name: string; material: string };
  runreset: { token: string };
}

export interface ResponseBase {
  /** Raw status as sent, and its typed form (see status.ts). */
  status: string;
  ok: boolean;
  /** The error stack, decoded from hex to text. */
  errors: string[];
}

/** An SBP receipt's `<cft>` block (receipt.ts lists its fields). */
export type SbpCftBlock = { [K in (typeof CFT_FIELDS)[number]]?: string };

/** A transaction receipt: its fields as receipt.ts lists them, and what the parser derives. */
export type Receipt = FieldsOf<typeof RECEIPT_ROWS, KindValue & { lines: string[]; cft: SbpCftBlock }> & {
  header: string[];
  footer: string[];
  /** Receipt number as an integer, when seq is numeric. */
  receiptNumber?: number;
  /** Derived as §8.9 says: tstatus = approved (or status = approved on SBP/MIFARE receipts). */
  approved: boolean;
  /** Application name to show: apname decoded with ict-id, else alabel, else appname. */
  applicationName?: string;
  /** Children the library does not know (e.g. a MIFARE client's own receipt data), kept as parsed. */
  extra?: XmlElement;
};

export interface TransactionResult extends ResponseBase {
  /** The full PAN, sent only over an encrypted session; redacted when printed or serialised. */
  plainTextPan?: Secret;
  /** True only if a receipt is present and it is approved (§8.9). */
  approved: boolean;
  receipt?: Receipt;
  /** What the request asked for, minor units (set by the client; absent for a void without an amount). */
  requestedAmount?: number;
  /** What the receipt authorized (amount-authorized), minor units: the amount that moved. */
  authorizedAmount?: number;
  /** Set when the receipt authorized another amount than requested (e.g. a dex answer changed 9F02). */
  amountMismatch?: true;
}

export interface TotalsPair {
  count: number;
  sum: number;
}

/** A count and sum per operation (report.ts lists them: purchase … refundReversal), then the total. */
export type OperationTotals = { [Op in (typeof OPERATIONS)[number] as CamelCase<Op>]: TotalsPair } & {
  totalCount: number;
  /** Signed balance in minor units (D = plus, C = minus on the wire). */
  totalSum: number;
};

export type CardTypeTotals = OperationTotals & { rid: string; name: string };

/** One `<t>` of a full report (report.ts lists its fields). */
export type ReportTransaction = FieldsOf<typeof TRANSACTION_ROWS>;

export interface XReport {
  header: { mid?: string; tid?: string; title: string[]; currency?: string; time?: string };
  transactions: ReportTransaction[];
  totals: CardTypeTotals[];
  grandTotals?: OperationTotals;
}

/** A settlement's or clear's `<sreport>` (report.ts lists its fields). */
export type SReport = FieldsOf<typeof SREPORT_ROWS> & {
  /** True when settlement-result is passed (absent on clear: then status ok decides). */
  passed: boolean;
};

/** getparameters' `<parameters>`: every value a string as sent (parameters.ts lists them). */
export type TerminalParameters = FieldsOf<typeof PARAMETER_ROWS>;

export interface WorkKeysReceipt {
  macChangeRrn?: string;
  netChangeRrn?: string;
}

/** loadmasterkeys' receipt: the KCVs of the PIN and the MAC master key (parameters.ts). */
export type MasterKeysReceipt = FieldsOf<typeof MASTER_KEYS_ROWS>;

export interface LoginResult extends ResponseBase {
  token?: string;
  serverHandshake?: string;
}

/** The answers that carry more than a status and errors. */
interface RichResponses {
  login: LoginResult;
  loadworkkeys: ResponseBase & { receipt?: WorkKeysReceipt };
  loadmasterkeys: ResponseBase & { receipt?: MasterKeysReceipt };
  getparameters: ResponseBase & { parameters?: TerminalParameters };
  transaction: TransactionResult;
  report: ResponseBase & { report?: XReport };
  settlement: ResponseBase & { report?: SReport };
  clear: ResponseBase & { report?: SReport };
}

/** Every command's typed answer. */
export type ResponseTypes = RichResponses & Record<Exclude<CommandName, keyof RichResponses>, ResponseBase>;

/** T with the keys K optional. */
type WithOptional<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;

/** A receipt to write: what the parser derives (approved, receiptNumber, applicationName) may be left out. */
export type ReceiptToWrite = WithOptional<Receipt, 'approved' | 'receiptNumber' | 'applicationName'>;

/**
 * A response as the terminal side writes it (responseToPacket): ResponseTypes[C], where
 * what the parser derives (`ok`, a transaction's `approved`, a receipt's derived fields)
 * and an empty error stack may be left out.
 */
export type ResponseToWrite<C extends CommandName> = C extends 'transaction'
  ? WithOptional<Omit<TransactionResult, 'receipt'>, 'ok' | 'errors' | 'approved'> & { receipt?: ReceiptToWrite }
  : WithOptional<ResponseTypes[C], 'ok' | 'errors'>;

// ---- Messages from the terminal during a command ----

/** A display message (messages.ts lists its fields). */
export type DisplayMessage = FieldsOf<typeof DISPLAY_ROWS> & { code: string };

export interface EmvTagValue {
  /** Tag, hex (`9F06`). */
  name: string;
  /** Value, hex in EMV format. */
  value: string;
}

export interface DexMessage {
  kernelTags: EmvTagValue[];
}

export interface QrCodeMessage {
  show: boolean;
  url?: string;
}

export type CardMessage =
  | { code: 'open'; blockId: number; data?: Buffer }
  | { code: 'read'; ok: boolean; status: string; data?: Buffer }
  | { code: 'write'; ok: boolean; status: string };

/** The client's answer to a card message: the next request to the card. */
export type CardRequest =
  | { code: 'read'; blockId: number }
  | { code: 'write'; blockId: number; data: Buffer }
  | { code: 'close'; receipt?: XmlElement }
  | { code: 'notimplemented' };

export interface ResetKeepAliveMessage {
  /** reset-connected-indicator: the activator has connected. */
  activatorConnected: boolean;
}

export type TerminalMessage =
  | { name: 'keepalive' }
  | { name: 'keep-alive'; message: ResetKeepAliveMessage }
  | { name: 'display'; message: DisplayMessage }
  | { name: 'dex'; message: DexMessage }
  | { name: 'card'; message: CardMessage }
  | { name: 'displayqrcode'; message: QrCodeMessage };

// ---- Activator session during runreset (§10, port 4434) ----

/** The terminal's three certificate requests to the activator (the document also misspells the first `signconfigcientcertificate`). */
export const CERTIFICATE_REQUEST_NAMES = [
  'signconfigclientcertificate',
  'signkeyloaderclientcertificate',
  'signacquirerclientcertificate',
] as const;
export type CertificateRequestName = (typeof CERTIFICATE_REQUEST_NAMES)[number];

export interface CertificateRequest {
  /** Normalised name (the misspelling maps to `signconfigclientcertificate`). */
  name: CertificateRequestName;
  /** Root tag as received; the answer's root tag should repeat it. Defaults to `name`. */
  rootName?: string;
  /** The device's RSA public key: hex of the DER SubjectPublicKeyInfo. */
  key: string;
  deviceIdentifier: string;
}

/** The activator's answer: `<signed-cert><cert>HEX(PEM)</cert><ca>HEX(PEM)</ca></signed-cert>`. */
export interface CertificateAnswer {
  /** Present only if the answer carried a status (the document's example has none). */
  status?: string;
  /** Signed device certificate, PEM as hex. */
  cert?: string;
  /** CA certificate that signed it, PEM as hex. */
  ca?: string;
}

/** The activator's answer to `queryconfigcredentials`: `<confdata>`. */
export interface ConfigCredentials {
  status?: string;
  /** Config server root certificate (hex). */
  cert?: string;
  /** RSA signature of cert (hex). */
  sign?: string;
  /** Config server URL. */
  url?: string;
}
