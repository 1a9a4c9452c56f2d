/** The EMV display messages a contactless terminal shows during a transaction. */
import { displayMessage, pickLanguage } from '../protocol/display';
import type { DisplayMessage, TerminalMessage } from '../protocol/types';

/** Kernel UI status (Book C-2 A.1.194) that goes with each display code. */
const UI_STATUS: Readonly<Record<string, string>> = {
  '15': '02',
  '16': '03',
  '17': '04',
  '03': '04',
  '1A': '04',
  '07': '04',
  '0F': '05',
  '06': '05',
  '13': '05',
  '18': '05',
  '11': '05',
  '0C': '05',
  '1E': '01',
  D1: '03',
  D2: '03',
  D3: '05',
  D4: '03',
};

export interface DisplayOptions {
  /** ISO-639 pairs (`ruen`). */
  language: string;
  /** Show this amount (value-qualifier 10). */
  amount?: number;
  currency?: string;
  holdTimeMs?: number;
}

export function display(code: string, options: DisplayOptions): TerminalMessage {
  const lang = pickLanguage(options.language);
  const message: DisplayMessage = {
    code,
    language: options.language,
    text: displayMessage(code, lang) ?? '',
    uiStatus: UI_STATUS[code] ?? '03',
    // hold-time is in units of 100 ms (Book C-2), six digits.
    holdTime: String(Math.round((options.holdTimeMs ?? 0) / 100)).padStart(6, '0'),
    valueQualifier: options.amount === undefined ? '00' : '10',
    amount: options.amount ?? 0,
    currency: options.currency,
  };
  return { name: 'display', message };
}
