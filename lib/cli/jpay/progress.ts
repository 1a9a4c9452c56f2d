// Progress while a command runs, written to stderr as it happens: the terminal's display
// texts (in the terminal's language), QR codes to show, keepalive ticks, runreset state.
// Card data never appears: dex tag values are not printed, MIFARE payloads neither.

import { describeDisplay } from '../../protocol/display';
import type { KeepaliveInfo } from '../../client';
import type { CardMessage, DexMessage, DisplayMessage, QrCodeMessage } from '../../protocol/types';
import { formatMinor } from './amount';

export type LineWriter = (line: string) => void;

export class Progress {
  readonly #write: LineWriter;

  constructor(write: LineWriter) {
    this.#write = write;
  }

  display(msg: DisplayMessage): void {
    const d = describeDisplay(msg);
    const amount = d.amount === undefined ? '' : ` ${formatMinor(d.amount)}${d.currency ? ` (${d.currency})` : ''}`;
    const text = `${d.text}${amount}`.trim();
    // Code 1E clears the display: nothing to show.
    if (text !== '') this.#write(`[display] ${text}`);
  }

  qrCode(msg: QrCodeMessage): void {
    this.#write(msg.show ? `[qr] scan to pay: ${msg.url ?? '(no URL)'}` : '[qr] hidden');
  }

  /** A keepalive tick (the client counts them), or during runreset whether the activator has connected. */
  keepalive(info: KeepaliveInfo): void {
    if (info.command === 'runreset') this.#write(`[runreset] activator ${info.activatorConnected === true ? 'connected' : 'not connected yet'}`);
    else this.#write(`[keepalive] ${info.count}${info.cancelling ? ' (answering: cancelled)' : ''}`);
  }

  dex(msg: DexMessage): void {
    this.#write(`[dex] ${msg.kernelTags.length} kernel tag(s) received; no tags added`);
  }

  card(msg: CardMessage): void {
    this.#write(`[card] MIFARE ${msg.code}: not handled by jpay (answered notimplemented)`);
  }

  note(text: string): void {
    this.#write(text);
  }
}
