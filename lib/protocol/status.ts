// Response/answer statuses (Appendix A "Коды ошибок") and the hex-encoded error stack.

import type { Language } from './types';

// Appendix A in its order (the simulator's magic amounts follow it): code, English, Russian.
// Russian follows Appendix A (typos corrected); English is a translation of it. The vendor
// spelling "prsent" is kept because it is what the terminal sends.
const STATUSES = [
  ['ok', 'Operation completed successfully', 'Операция завершена успешно'],
  ['failed', 'Operation failed', 'Операция завершена с ошибкой'],
  ['communicationerror', 'Communication error, including failure to establish a network connection', 'Ошибка связи, в т. ч. ошибка установки соединения по сети'],
  ['notimplemented', 'Requested function is not implemented', 'Запрашиваемая функция не реализована'],
  ['formaterror', 'Data format error', 'Ошибка представления данных'],
  ['notauthorized', 'Invalid login or password', 'Недопустимый логин или пароль'],
  ['fileioerror', 'File access error', 'Ошибка доступа к файлу'],
  ['verificationfailed', 'Checksum or certificate verification failed', 'Ошибка проверки контрольной суммы или сертификата'],
  ['missingdata', 'Data required for the operation is missing', 'Отсутствуют данные, необходимые для выполнения операции'],
  ['systemerror', 'System error', 'Системная ошибка'],
  ['timeout', 'Timed out waiting for the operation to complete', 'Превышено время ожидания завершения операции'],
  ['invalidarguments', 'Invalid operation parameter values', 'Указаны недопустимые значения параметров операции'],
  ['transactionnotfound', 'The transaction to reverse is not in the log', 'Отменяемая транзакция отсутствует в логе'],
  ['notreversible', 'The transaction cannot be reversed', 'Транзакция не может быть отменена'],
  ['alreadyreversed', 'The transaction has already been reversed', 'Транзакция уже отменена'],
  ['notapproved', 'The transaction to reverse was not approved', 'Отменяемая транзакция не одобрена'],
  ['emverror', 'EMV kernel error, including initialisation failure', 'Ошибка ядра EMV, в т. ч. ошибка инициализации'],
  ['notdetected', 'Card detection failed', 'Ошибка обнаружения карты'],
  ['notallowedinterface', 'This interface is not allowed for the operation', 'Использование интерфейса запрещено для данной операции'],
  ['cancelled', 'Operation cancelled', 'Операция отменена'],
  ['tryagain', 'Card read error; try again', 'Ошибка чтения карты; повторите'],
  ['usechip', 'A contact (chip) EMV transaction is required', 'Требуется провести контактную EMV-транзакцию'],
  ['batchuploadfailed', 'Transaction log upload failed', 'Ошибка загрузки лога транзакций'],
  ['readerdisabled', 'Card reader is disabled', 'Устройство чтения карт отключено'],
  ['preprocessingfailed', 'Transaction pre-processing failed in the EMV kernel', 'Ошибка предварительной обработки транзакции в ядре EMV'],
  ['readernotavailable', 'Card reader is not present', 'Устройство чтения карт отсутствует'],
  ['readererror', 'Card reader error', 'Ошибка устройства чтения карт'],
  ['tryanotherinterface', 'Card read error; use another interface', 'Ошибка чтения карты; используйте другой интерфейс'],
  ['pinpadmalfunctionornotprsent', 'PIN entry error (PIN pad malfunction or not present)', 'Ошибка ввода ПИН-кода'],
  ['pinentrybypassed', 'PIN entry cancelled by the cardholder', 'Ввод ПИН-кода отменён пользователем'],
] as const;

export type JpayStatusCode = (typeof STATUSES)[number][0];

export const JPAY_STATUS_CODES: readonly JpayStatusCode[] = STATUSES.map(([code]) => code);

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

const DESCRIPTIONS: ReadonlyMap<string, readonly [string, string]> = new Map(STATUSES.map(([code, en, ru]) => [code, [en, ru]]));
const UNKNOWN = ['Unknown status', 'Неизвестный статус'] as const;

export function describeStatus(code: JpayStatusCode | 'unknown', lang: StatusLanguage = 'en'): string {
  // A Map, because untyped callers (Node-RED flows) may pass any string.
  const [en, ru] = DESCRIPTIONS.get(code) ?? UNKNOWN;
  return lang === 'ru' ? ru : en;
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
