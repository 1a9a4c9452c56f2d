// Response/answer statuses (Appendix A "Коды ошибок") and the hex-encoded error stack.

import type { Language } from './types';

export const JPAY_STATUS_CODES = [
  'ok',
  'failed',
  'communicationerror',
  'notimplemented',
  'formaterror',
  'notauthorized',
  'fileioerror',
  'verificationfailed',
  'missingdata',
  'systemerror',
  'timeout',
  'invalidarguments',
  'transactionnotfound',
  'notreversible',
  'alreadyreversed',
  'notapproved',
  'emverror',
  'notdetected',
  'notallowedinterface',
  'cancelled',
  'tryagain',
  'usechip',
  'batchuploadfailed',
  'readerdisabled',
  'preprocessingfailed',
  'readernotavailable',
  'readererror',
  'tryanotherinterface',
  // Vendor spelling ("prsent"), kept because it is what the terminal sends.
  'pinpadmalfunctionornotprsent',
  'pinentrybypassed',
] as const;

export type JpayStatusCode = (typeof JPAY_STATUS_CODES)[number];

export type StatusLanguage = Language;

export interface JpayStatus {
  /** `unknown` when the terminal sent a value outside Appendix A (or nothing). */
  readonly code: JpayStatusCode | 'unknown';
  /** The value as received, trimmed; '' when the status element was missing. */
  readonly raw: string;
  readonly ok: boolean;
}

const CODE_SET: ReadonlySet<string> = new Set(JPAY_STATUS_CODES);

// Appendix A prints `ormaterror`, a typo for `formaterror`.
const ALIASES: ReadonlyMap<string, JpayStatusCode> = new Map<string, JpayStatusCode>([['ormaterror', 'formaterror']]);

export function isStatusCode(s: unknown): s is JpayStatusCode {
  return typeof s === 'string' && CODE_SET.has(s);
}

export function parseStatus(raw: string | undefined): JpayStatus {
  const text = (raw ?? '').trim();
  const key = text.toLowerCase();
  const code = isStatusCode(key) ? key : ALIASES.get(key);
  if (code === undefined) return { code: 'unknown', raw: text, ok: false };
  return { code, raw: text, ok: code === 'ok' };
}

type Descriptions = Readonly<Record<JpayStatusCode | 'unknown', { readonly en: string; readonly ru: string }>>;

// Russian follows Appendix A (typos corrected); English is a translation of it.
const DESCRIPTIONS: Descriptions = {
  ok: { en: 'Operation completed successfully', ru: 'Операция завершена успешно' },
  failed: { en: 'Operation failed', ru: 'Операция завершена с ошибкой' },
  communicationerror: {
    en: 'Communication error, including failure to establish a network connection',
    ru: 'Ошибка связи, в т. ч. ошибка установки соединения по сети',
  },
  notimplemented: { en: 'Requested function is not implemented', ru: 'Запрашиваемая функция не реализована' },
  formaterror: { en: 'Data format error', ru: 'Ошибка представления данных' },
  notauthorized: { en: 'Invalid login or password', ru: 'Недопустимый логин или пароль' },
  fileioerror: { en: 'File access error', ru: 'Ошибка доступа к файлу' },
  verificationfailed: {
    en: 'Checksum or certificate verification failed',
    ru: 'Ошибка проверки контрольной суммы или сертификата',
  },
  missingdata: {
    en: 'Data required for the operation is missing',
    ru: 'Отсутствуют данные, необходимые для выполнения операции',
  },
  systemerror: { en: 'System error', ru: 'Системная ошибка' },
  timeout: {
    en: 'Timed out waiting for the operation to complete',
    ru: 'Превышено время ожидания завершения операции',
  },
  invalidarguments: {
    en: 'Invalid operation parameter values',
    ru: 'Указаны недопустимые значения параметров операции',
  },
  transactionnotfound: {
    en: 'The transaction to reverse is not in the log',
    ru: 'Отменяемая транзакция отсутствует в логе',
  },
  notreversible: { en: 'The transaction cannot be reversed', ru: 'Транзакция не может быть отменена' },
  alreadyreversed: { en: 'The transaction has already been reversed', ru: 'Транзакция уже отменена' },
  notapproved: { en: 'The transaction to reverse was not approved', ru: 'Отменяемая транзакция не одобрена' },
  emverror: {
    en: 'EMV kernel error, including initialisation failure',
    ru: 'Ошибка ядра EMV, в т. ч. ошибка инициализации',
  },
  notdetected: { en: 'Card detection failed', ru: 'Ошибка обнаружения карты' },
  notallowedinterface: {
    en: 'This interface is not allowed for the operation',
    ru: 'Использование интерфейса запрещено для данной операции',
  },
  cancelled: { en: 'Operation cancelled', ru: 'Операция отменена' },
  tryagain: { en: 'Card read error; try again', ru: 'Ошибка чтения карты; повторите' },
  usechip: {
    en: 'A contact (chip) EMV transaction is required',
    ru: 'Требуется провести контактную EMV-транзакцию',
  },
  batchuploadfailed: { en: 'Transaction log upload failed', ru: 'Ошибка загрузки лога транзакций' },
  readerdisabled: { en: 'Card reader is disabled', ru: 'Устройство чтения карт отключено' },
  preprocessingfailed: {
    en: 'Transaction pre-processing failed in the EMV kernel',
    ru: 'Ошибка предварительной обработки транзакции в ядре EMV',
  },
  readernotavailable: { en: 'Card reader is not present', ru: 'Устройство чтения карт отсутствует' },
  readererror: { en: 'Card reader error', ru: 'Ошибка устройства чтения карт' },
  tryanotherinterface: {
    en: 'Card read error; use another interface',
    ru: 'Ошибка чтения карты; используйте другой интерфейс',
  },
  pinpadmalfunctionornotprsent: {
    en: 'PIN entry error (PIN pad malfunction or not present)',
    ru: 'Ошибка ввода ПИН-кода',
  },
  pinentrybypassed: { en: 'PIN entry cancelled by the cardholder', ru: 'Ввод ПИН-кода отменён пользователем' },
  unknown: { en: 'Unknown status', ru: 'Неизвестный статус' },
};

export function describeStatus(code: JpayStatusCode | 'unknown', lang: StatusLanguage = 'en'): string {
  // Guarded because untyped callers (Node-RED flows) may pass any string.
  const entry = Object.hasOwn(DESCRIPTIONS, code) ? DESCRIPTIONS[code] : DESCRIPTIONS.unknown;
  return lang === 'ru' ? entry.ru : entry.en;
}

/** Marks an `<error>` value that was not valid hex UTF-8 and is passed on as received. */
export const UNDECODED_ERROR_PREFIX = '[undecoded] ';

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeErrorText(raw: string): string {
  const hex = raw.replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(hex)) return UNDECODED_ERROR_PREFIX + raw;
  try {
    return utf8.decode(Buffer.from(hex, 'hex'));
  } catch {
    return UNDECODED_ERROR_PREFIX + raw;
  }
}

/** Decodes each `<error-stack><error>` value (UTF-8 written as hex ASCII). Never throws. */
export function decodeErrorStack(errors: readonly string[]): string[] {
  return errors.map((e) => decodeErrorText(String(e)));
}

/** Inverse of the error-stack decoding: UTF-8 bytes as upper-case hex. */
export function encodeErrorText(text: string): string {
  return Buffer.from(text, 'utf8').toString('hex').toUpperCase();
}
