// Texts for the `display` message (§8.9): EMV message identifiers, JPAY's D1..D5, and the
// kernel UI status of Book C-2 A.1.194.

import type { DisplayMessage, Language } from './types';
import { amountFromWire } from './values';

export type DisplayLanguage = Language;

export interface DisplayText {
  readonly en: string;
  readonly ru: string;
  /** Where the identifier is defined. */
  readonly source: 'emv-book-4' | 'emv-book-a' | 'jpay';
}

const textsFrom = (source: DisplayText['source']) => (en: string, ru: string): DisplayText => ({ en, ru, source });
const book4 = textsFrom('emv-book-4');
const bookA = textsFrom('emv-book-a');
const jpay = textsFrom('jpay');

/** Keys are the upper-case two-digit hex identifiers as the terminal sends them. */
export const DISPLAY_MESSAGES = {
  '01': book4('Amount', 'Сумма'),
  '02': book4('Amount OK?', 'Сумма верна?'),
  '03': book4('Approved', 'Одобрено'),
  '04': book4('Call your bank', 'Позвоните в банк'),
  '05': book4('Cancel or enter', 'Отмена или ввод'),
  '06': book4('Card error', 'Ошибка карты'),
  '07': book4('Declined', 'Отклонено'),
  '08': book4('Enter amount', 'Введите сумму'),
  '09': book4('Enter PIN', 'Введите ПИН'),
  '0A': book4('Incorrect PIN', 'Неверный ПИН'),
  '0B': book4('Insert card', 'Вставьте карту'),
  '0C': book4('Not accepted', 'Карта не принимается'),
  '0D': book4('PIN OK', 'ПИН верный'),
  '0E': book4('Please wait', 'Подождите'),
  '0F': book4('Processing error', 'Ошибка обработки'),
  '10': book4('Remove card', 'Извлеките карту'),
  '11': book4('Use chip reader', 'Используйте чип карты'),
  '12': book4('Use magnetic stripe', 'Используйте магнитную полосу'),
  '13': book4('Try again', 'Повторите попытку'),
  '14': bookA('Welcome', 'Добро пожаловать'),
  '15': bookA('Present card', 'Приложите карту'),
  '16': bookA('Processing', 'Обработка'),
  '17': bookA('Card read OK, please remove card', 'Карта считана, уберите карту'),
  '18': bookA('Please insert or swipe card', 'Вставьте или проведите карту'),
  '19': bookA('Please present one card only', 'Приложите только одну карту'),
  '1A': bookA('Approved, please sign', 'Одобрено, распишитесь'),
  '1B': bookA('Authorising, please wait', 'Авторизация, подождите'),
  '1C': bookA('Insert, swipe or try another card', 'Вставьте, проведите или используйте другую карту'),
  '1D': bookA('Please insert card', 'Пожалуйста, вставьте карту'),
  // Book A: no message, the display is cleared.
  '1E': bookA('', ''),
  '20': bookA('See phone for instructions', 'Следуйте инструкциям на телефоне'),
  '21': bookA('Present card again', 'Приложите карту ещё раз'),
  D1: jpay('Connecting to the bank host', 'Подключение к хосту банка'),
  D2: jpay('Reconnecting', 'Повторное подключение'),
  D3: jpay('No answer from the bank host', 'Нет ответа от хоста банка'),
  D4: jpay('Answer received', 'Ответ получен'),
  D5: jpay('PIN try limit exceeded', 'Превышено число попыток ввода ПИН-кода'),
} as const satisfies Readonly<Record<string, DisplayText>>;

export type DisplayCode = keyof typeof DISPLAY_MESSAGES;

/**
 * Upper-cases and left-pads a one-digit identifier (`3` → `03`, `d1` → `D1`); the wire form is
 * two hex digits, the padding only forgives senders that drop the leading zero.
 */
export function normalizeDisplayCode(code: string): string | undefined {
  const c = code.trim().toUpperCase();
  return /^[0-9A-F]{1,2}$/.test(c) ? c.padStart(2, '0') : undefined;
}

export function isDisplayCode(code: string): code is DisplayCode {
  return Object.hasOwn(DISPLAY_MESSAGES, code);
}

/** Table text for a display code; '' for `1E` (clear display); undefined for unknown codes. */
export function displayMessage(code: string, lang: DisplayLanguage): string | undefined {
  const key = normalizeDisplayCode(code);
  if (key === undefined || !isDisplayCode(key)) return undefined;
  return DISPLAY_MESSAGES[key][lang];
}

const DEFAULT_SUPPORTED: readonly DisplayLanguage[] = ['ru', 'en'];

/**
 * First language of an ISO-639 pair list (`ruen` → `ru`) that is supported; `en` otherwise.
 * Pairs are read in order; a trailing odd letter is ignored.
 */
export function pickLanguage(
  languagePref: string | undefined,
  supported: readonly DisplayLanguage[] = DEFAULT_SUPPORTED,
): DisplayLanguage {
  const pref = (languagePref ?? '').trim().toLowerCase();
  for (let i = 0; i + 2 <= pref.length; i += 2) {
    const lang = supported.find((s) => s === pref.slice(i, i + 2));
    if (lang !== undefined) return lang;
  }
  return 'en';
}

/** Kernel UI status (`status` of a display message), Book C-2 A.1.194. */
export const UI_STATUSES = {
  '00': { en: 'Not ready', ru: 'Не готов' },
  '01': { en: 'Idle', ru: 'Ожидание' },
  '02': { en: 'Ready to read', ru: 'Готов к чтению карты' },
  '03': { en: 'Processing', ru: 'Обработка' },
  '04': { en: 'Card read successfully', ru: 'Карта успешно считана' },
  '05': { en: 'Processing error', ru: 'Ошибка обработки' },
} as const satisfies Readonly<Record<string, { readonly en: string; readonly ru: string }>>;

export type UiStatusCode = keyof typeof UI_STATUSES;

export function uiStatusText(status: string, lang: DisplayLanguage): string | undefined {
  const key = status.trim();
  return Object.hasOwn(UI_STATUSES, key) ? UI_STATUSES[key as UiStatusCode][lang] : undefined;
}

/** Book C-2 value qualifier meaning "value is an amount". */
export const VALUE_QUALIFIER_AMOUNT = '10';

/**
 * A display message as decoded (DisplayMessage: `text`, `amount` in minor units) or with
 * its wire fields: `lang` (the document's other name of `language`), `msg` (= text), `status`
 * and `value` (12 digits of minor units, as sent; read before `amount`).
 */
export type DisplayFields = Partial<DisplayMessage> & { lang?: string; msg?: string; status?: string; value?: string };

export interface DisplayDescription {
  /** The terminal's own `msg` if present, else the table text ('' when neither exists). */
  readonly text: string;
  /** Minor units, only when value-qualifier is `10` and the value is well formed. */
  readonly amount?: number;
  readonly currency?: string;
}

/**
 * What to show for a display message. `lang` defaults to the message's own preference.
 * Never throws: a malformed amount is left out rather than breaking the message loop.
 */
export function describeDisplay(msg: DisplayFields, lang?: DisplayLanguage): DisplayDescription {
  const language = lang ?? pickLanguage(msg.language ?? msg.lang);
  const own = (msg.msg ?? msg.text)?.trim();
  const text = own ? own : (msg.code === undefined ? undefined : displayMessage(msg.code, language)) ?? '';
  if (msg.valueQualifier?.trim() !== VALUE_QUALIFIER_AMOUNT) return { text };
  const amount = parseAmount(msg);
  if (amount === undefined) return { text };
  const currency = msg.currency?.trim();
  return currency ? { text, amount, currency } : { text, amount };
}

function parseAmount(msg: DisplayFields): number | undefined {
  if (msg.value === undefined) {
    return typeof msg.amount === 'number' && Number.isSafeInteger(msg.amount) && msg.amount >= 0 ? msg.amount : undefined;
  }
  try {
    return amountFromWire(msg.value, 'value');
  } catch {
    return undefined;
  }
}
