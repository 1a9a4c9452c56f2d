/** The EMV display messages a contactless terminal shows during a transaction. */
import { displayMessage, pickLanguage } from '../protocol/display';
import type { DisplayMessage, TerminalMessage } from '../protocol/types';

/** The display codes of each kernel UI status (Book C-2 A.1.194); a code not listed goes with 03. */
const DISPLAYS_BY_UI_STATUS: Readonly<Record<string, readonly string[]>> = {
  '01': ['1E'],
  '02': ['15'],
  '03': ['16', 'D1', 'D2', 'D4'],
  '04': ['17', '03', '1A', '07'],
  '05': ['0F', '06', '13', '18', '11', '0C', 'D3'],
};
const UI_STATUS = new Map(Object.entries(DISPLAYS_BY_UI_STATUS).flatMap(([status, codes]) => codes.map((code) => [code, status] as const)));

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
    uiStatus: UI_STATUS.get(code) ?? '03',
    // hold-time is in units of 100 ms (Book C-2), six digits.
    holdTime: String(Math.round((options.holdTimeMs ?? 0) / 100)).padStart(6, '0'),
    valueQualifier: options.amount === undefined ? '00' : '10',
    amount: options.amount ?? 0,
    currency: options.currency,
  };
  return { name: 'display', message };
}
