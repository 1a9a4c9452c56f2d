/**
 * The outbox's records.
 *
 * Current format: a durable log (lib/durable, docs/reliability.md) whose key is the
 * receipt's position `n` in decimal and whose value is
 *   {"id":"<receiptId>","tid":"<terminal>","topic":"<topic>","payload":"<JSON text>"}
 * An acknowledged receipt's key is removed. The payload is stored as text so a replay
 * publishes the very same bytes.
 *
 * Earlier format (no checksums; read once and rewritten in the current one): JSON lines
 *   {"n":7,"id":"<receiptId>","tid":"<terminal>","topic":"<topic>","payload":"<JSON text>"}
 *   {"ack":7}
 */

export interface StoredReceipt {
  /** Position in the journal; replay order. */
  n: number;
  receiptId: string;
  terminalId: string;
  topic: string;
  payload: string;
  /** Bytes of its record in the journal file. */
  bytes: number;
}

/** A receipt's value in the durable log. */
export interface OutboxValue {
  id: string;
  tid: string;
  topic: string;
  payload: string;
}

export function outboxValue(r: Omit<StoredReceipt, 'n' | 'bytes'>): OutboxValue {
  return { id: r.receiptId, tid: r.terminalId, topic: r.topic, payload: r.payload };
}

export function storedReceipt(n: number, v: OutboxValue, bytes: number): StoredReceipt {
  return { n, receiptId: v.id, terminalId: v.tid, topic: v.topic, payload: v.payload, bytes };
}

const isSeq = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

/** The key of receipt `n`. */
export function outboxKey(n: number): string {
  return String(n);
}

/** `n` from a key, or undefined when the key is not one. */
export function outboxN(key: string): number | undefined {
  const n = Number(key);
  return /^[1-9][0-9]*$/.test(key) && isSeq(n) ? n : undefined;
}

/** Checks a stored value (a record that passes its checksum but is not a receipt counts as damaged). */
export function decodeOutboxValue(value: unknown, key: string): OutboxValue {
  const o = value as Partial<OutboxValue> | null;
  if (outboxN(key) === undefined || o === null || typeof o !== 'object') throw new Error('not an outbox record');
  if (typeof o.id !== 'string' || typeof o.tid !== 'string' || typeof o.topic !== 'string' || typeof o.payload !== 'string') throw new Error('not an outbox record');
  return { id: o.id, tid: o.tid, topic: o.topic, payload: o.payload };
}

// ---- The earlier format ----

export interface LegacyScan {
  /** Receipts without an ack, in journal order. */
  pending: Omit<StoredReceipt, 'bytes'>[];
  /** Highest `n` seen (0 for an empty journal). */
  lastN: number;
  receiptLines: number;
  ackLines: number;
  /** Complete lines that were not valid records (skipped; the original file is kept aside). */
  corruptLines: number;
  /** Bytes after the last newline that did not form a record: a torn append, dropped. */
  tornBytes: number;
}

type Parsed = { kind: 'receipt'; record: Omit<StoredReceipt, 'bytes'> } | { kind: 'ack'; n: number } | undefined;

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
    return { kind: 'receipt', record: { n: o.n, receiptId: o.id, terminalId: o.tid, topic: o.topic, payload: o.payload } };
  }
  return undefined;
}

/** Reads a journal of the earlier format. */
export function scanLegacyJournal(text: string): LegacyScan {
  const lines = text.split('\n');
  const tail = lines.pop() ?? '';
  const pending = new Map<number, Omit<StoredReceipt, 'bytes'>>();
  const scan: LegacyScan = { pending: [], lastN: 0, receiptLines: 0, ackLines: 0, corruptLines: 0, tornBytes: 0 };
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
  return scan;
}
