/**
 * The outbox journal: UTF-8 JSON lines, append-only.
 *   {"n":7,"id":"<receiptId>","tid":"<terminal>","topic":"<topic>","payload":"<JSON text>"}
 *   {"ack":7}
 * A receipt line is pending until an ack line with its `n` follows. The payload is stored as
 * text so a replay publishes the very same bytes.
 */

export interface StoredReceipt {
  /** Position in the journal; replay order. */
  n: number;
  receiptId: string;
  terminalId: string;
  topic: string;
  payload: string;
  /** Bytes of the encoded line. */
  bytes: number;
}

export interface JournalScan {
  /** Receipts without an ack, in journal order. */
  pending: StoredReceipt[];
  /** Highest `n` seen (0 for an empty journal). */
  lastN: number;
  receiptLines: number;
  ackLines: number;
  /** Complete lines that were not valid records (skipped; the original file is kept aside). */
  corruptLines: number;
  /** Bytes after the last newline that did not form a record: a torn append, dropped. */
  tornBytes: number;
  /** True when the file is exactly its pending lines (nothing to compact or repair). */
  clean: boolean;
}

export function encodeReceiptLine(r: Omit<StoredReceipt, 'bytes'>): string {
  return `${JSON.stringify({ n: r.n, id: r.receiptId, tid: r.terminalId, topic: r.topic, payload: r.payload })}\n`;
}

export function encodeAckLine(n: number): string {
  return `${JSON.stringify({ ack: n })}\n`;
}

type Parsed = { kind: 'receipt'; record: StoredReceipt } | { kind: 'ack'; n: number } | undefined;

const isSeq = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

function parseLine(line: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const o = value as Record<string, unknown>;
  if (isSeq(o.ack)) return { kind: 'ack', n: o.ack };
  if (isSeq(o.n) && typeof o.id === 'string' && typeof o.tid === 'string' && typeof o.topic === 'string' && typeof o.payload === 'string') {
    const record = { n: o.n, receiptId: o.id, terminalId: o.tid, topic: o.topic, payload: o.payload };
    return { kind: 'receipt', record: { ...record, bytes: Buffer.byteLength(encodeReceiptLine(record)) } };
  }
  return undefined;
}

export function scanJournal(text: string): JournalScan {
  const lines = text.split('\n');
  const tail = lines.pop() ?? '';
  const pending = new Map<number, StoredReceipt>();
  const scan: JournalScan = { pending: [], lastN: 0, receiptLines: 0, ackLines: 0, corruptLines: 0, tornBytes: 0, clean: true };
  const apply = (parsed: Parsed): void => {
    if (parsed?.kind === 'receipt') {
      scan.receiptLines++;
      pending.set(parsed.record.n, parsed.record);
      scan.lastN = Math.max(scan.lastN, parsed.record.n);
    } else if (parsed?.kind === 'ack') {
      scan.ackLines++;
      pending.delete(parsed.n);
      scan.lastN = Math.max(scan.lastN, parsed.n);
    }
  };
  for (const line of lines) {
    const parsed = parseLine(line);
    if (parsed === undefined) scan.corruptLines++;
    apply(parsed);
  }
  if (tail !== '') {
    // A record complete but for its newline is kept; anything else is a torn append.
    const parsed = parseLine(tail);
    if (parsed === undefined) scan.tornBytes = Buffer.byteLength(tail);
    apply(parsed);
  }
  scan.pending = [...pending.values()];
  scan.clean = tail === '' && scan.ackLines === 0 && scan.corruptLines === 0 && scan.receiptLines === scan.pending.length;
  return scan;
}
