/** The EMV display messages a contactless terminal shows during a transaction. */
import { displayMessage, pickLanguage } from '../protocol/display';
import type { DisplayMessage } from '../protocol/types';
import type { CommandContext } from './context';

/** The display codes of each kernel UI status (Book C-2 A.1.194); a code not listed goes with 03. */
const DISPLAYS_BY_UI_STATUS: Readonly<Record<string, readonly string[]>> = {
  '01': ['1E'],
  '02': ['15'],
  '03': ['16', 'D1', 'D2', 'D4'],
  '04': ['17', '03', '1A', '07'],
  '05': ['0F', '06', '13', '18', '11', '0C', 'D3'],
};
const UI_STATUS = new Map(Object.entries(DISPLAYS_BY_UI_STATUS).flatMap(([status, codes]) => codes.map((code) => [code, status] as const)));

/** Shows a display message in the terminal's language; with an amount, value-qualifier 10 shows it. */
export async function show(ctx: CommandContext, code: string, shown?: { amount: number; currency: string }): Promise<void> {
  const language = ctx.terminal.config.terminal.language;
  const message: DisplayMessage = {
    code,
    language,
    text: displayMessage(code, pickLanguage(language)) ?? '',
    uiStatus: UI_STATUS.get(code) ?? '03',
    // hold-time is in units of 100 ms (Book C-2), six digits; the simulator holds no message.
    holdTime: '000000',
    valueQualifier: shown === undefined ? '00' : '10',
    amount: shown?.amount ?? 0,
    currency: shown?.currency,
  };
  await ctx.messages.tell({ name: 'display', message });
}
