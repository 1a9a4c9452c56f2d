/**
 * Terminal messages during a transaction → the `msg.payload` of jpay-transaction's second
 * (progress) output, and the short text its status shows. Knows nothing of Node-RED.
 */
import { describeDisplay, pickLanguage } from '../../lib/protocol/display';
import type { DisplayMessage, Language, QrCodeMessage } from '../../lib/protocol/types';
import { qrSvg, svgDataUrl } from './qr';

export type ProgressPayload =
  | {
      event: 'display';
      /** What the terminal shows, in the chosen language ('' = display cleared). */
      text: string;
      /** EMV/JPAY message identifier (`15`, `D1`…). */
      code: string;
      language: Language;
      /** Amount on the display (minor units), when the terminal sends one. */
      amount?: number;
      currency?: string;
    }
  | {
      event: 'qrcode';
      show: true;
      /** The SBP payment link to encode. */
      url: string;
      /** The QR code as an SVG document. */
      svg?: string;
      /** The same SVG as a data URL, ready for `<img src>`. */
      image?: string;
    }
  | { event: 'qrcode'; show: false }
  | { event: 'keepalive'; count: number };

/** 'auto' follows the terminal's own preference (`ruen` → ru). */
export function resolveLanguage(choice: Language | 'auto', terminalPreference?: string): Language {
  return choice === 'auto' ? pickLanguage(terminalPreference) : choice;
}

export function displayProgress(message: DisplayMessage, choice: Language | 'auto'): ProgressPayload {
  const language = resolveLanguage(choice, message.language);
  const described = describeDisplay(message, language);
  const out: ProgressPayload = { event: 'display', text: described.text, code: message.code, language };
  if (described.amount !== undefined) out.amount = described.amount;
  if (described.currency !== undefined) out.currency = described.currency;
  return out;
}

/** A QR message; a URL too long for a QR code is still passed on, without an image. */
export function qrProgress(message: QrCodeMessage): ProgressPayload {
  if (!message.show || message.url === undefined) return { event: 'qrcode', show: false };
  try {
    const svg = qrSvg(message.url);
    return { event: 'qrcode', show: true, url: message.url, svg, image: svgDataUrl(svg) };
  } catch {
    return { event: 'qrcode', show: true, url: message.url };
  }
}

export function keepaliveProgress(count: number): ProgressPayload {
  return { event: 'keepalive', count };
}

const STATUS_TEXT_MAX = 40;

/** Node status under the node: at most 40 characters. */
export function shortStatusText(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > STATUS_TEXT_MAX ? `${t.slice(0, STATUS_TEXT_MAX - 1)}…` : t;
}
