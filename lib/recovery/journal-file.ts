/**
 * The journal's records in its durable log (lib/durable; docs/reliability.md, "The
 * transaction journal's records"). Three kinds of key:
 *
 *   e:<id>        the entry as it stands after its latest step:
 *                 {"v":2,"seq":7,"op":"answered","at":"…","id":"…","terminal":"…",
 *                  "request":{…},"annotations":{…},"begunAt":"…","state":"answered",…}
 *   a:<terminal>  the terminal's newest known receipt, when no kept entry carries it:
 *                 {"v":2,"seq":9,"op":"anchor","terminal":"…","at":"…","receipt":{…}}
 *   w:<terminal>  the client's receipt watermark of the terminal (answer-binding.ts):
 *                 {"v":2,"seq":10,"op":"watermark","terminal":"…","at":"…","watermark":{…}}
 *
 * `op` is the step that wrote the record (begin, answered, unknown, not-sent, recovered,
 * undelivered, delivering, delivered, anchor, watermark), `seq` orders the steps (the
 * anchor is the receipt of the highest seq). `v` is the record version: a reader refuses
 * a higher one. A new field that older readers may ignore keeps the version; a new state
 * or a changed meaning raises it. Version 2 added `delivery` (an answered entry whose
 * owner never got it would read as delivered to a version 1 reader) and the watermark
 * records; version 1 records are read as they are.
 *
 * Earlier format (read once and rewritten): JSON lines, one per step, `{"v":1,"op":…}`.
 */
import type { ReceiptWatermark } from '../client/answer-binding';
import { NewerRecordVersion } from '../durable/log';
import { JournalError } from './errors';
import { ANNOTATION, type DeliveryState, type EntryState, type JournalEntry, type ReceiptRef, type TerminalKey } from './types';

export const JOURNAL_RECORD_VERSION = 2;

/** The version this code writes, and the ones it reads. */
type RecordVersion = 1 | 2;

export type EntryOp = 'begin' | 'answered' | 'unknown' | 'not-sent' | 'recovered' | 'undelivered' | 'delivering' | 'delivered';

export type EntryRecord = JournalEntry & { v: RecordVersion; seq: number; op: EntryOp; at: string };

export interface AnchorRecord {
  v: RecordVersion;
  seq: number;
  op: 'anchor';
  terminal: TerminalKey;
  at: string;
  receipt: ReceiptRef;
}

export interface WatermarkRecord {
  v: 2;
  seq: number;
  op: 'watermark';
  terminal: TerminalKey;
  at: string;
  watermark: ReceiptWatermark;
}

export type JournalRecord = EntryRecord | AnchorRecord | WatermarkRecord;

export const entryKey = (id: string): string => `e:${id}`;
export const anchorKey = (terminal: TerminalKey): string => `a:${terminal}`;
export const watermarkKey = (terminal: TerminalKey): string => `w:${terminal}`;

const STATES: readonly EntryState[] = ['in-flight', 'answered', 'not-sent', 'unknown', 'recovered'];
const DELIVERY: readonly (DeliveryState | undefined)[] = [undefined, 'pending', 'attempted', 'delivered'];
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks a record read from the log (it passed its checksum: this guards against a foreign or newer file). */
export function decodeJournalRecord(value: unknown, key: string): JournalRecord {
  if (!isObject(value)) throw new Error('not a journal record');
  if (typeof value.v === 'number' && value.v > JOURNAL_RECORD_VERSION) throw new NewerRecordVersion(value.v);
  if ((value.v !== 1 && value.v !== 2) || typeof value.seq !== 'number' || typeof value.at !== 'string') throw new Error('not a journal record');
  if (value.op === 'anchor') {
    if (key !== anchorKey(String(value.terminal)) || !isObject(value.receipt)) throw new Error('not an anchor record');
    return value as unknown as AnchorRecord;
  }
  if (value.op === 'watermark') {
    if (value.v !== 2 || key !== watermarkKey(String(value.terminal)) || !isObject(value.watermark)) throw new Error('not a watermark record');
    return value as unknown as WatermarkRecord;
  }
  if (
    key !== entryKey(String(value.id)) ||
    typeof value.terminal !== 'string' ||
    !isObject(value.request) ||
    !isObject(value.annotations) ||
    typeof value.begunAt !== 'string' ||
    !STATES.includes(value.state as EntryState) ||
    !DELIVERY.includes(value.delivery as DeliveryState | undefined) ||
    (value.v === 1 && value.delivery !== undefined)
  ) {
    throw new Error('not a journal entry record');
  }
  return value.v === 1 ? withOwner(value as unknown as EntryRecord) : (value as unknown as EntryRecord);
}

/** Version 1 named a Node-RED owner `node`; it is the owner now. */
function withOwner(record: EntryRecord): EntryRecord {
  const node = record.annotations.node;
  if (typeof node !== 'string' || record.annotations[ANNOTATION.owner] !== undefined) return record;
  return { ...record, annotations: { ...record.annotations, [ANNOTATION.owner]: node } };
}

// ---- The earlier format ----

/** A line of the earlier format: one step. */
type JournalLine = Record<string, unknown> & { v: 1; op: string };

function parseLegacyLines(text: string, file: string): JournalLine[] {
  const lines: JournalLine[] = [];
  const parts = text.split('\n');
  for (let i = 0; i < parts.length; i++) {
    const raw = parts[i];
    const last = i === parts.length - 1;
    if (last && raw === '') break;
    let line: Partial<JournalLine> | null;
    try {
      line = JSON.parse(raw) as Partial<JournalLine> | null;
    } catch (error) {
      // Only the unterminated tail can be a torn write.
      if (last) break;
      throw new JournalError(`journal ${file} is corrupt at line ${i + 1}`, file, { cause: error });
    }
    if (typeof line !== 'object' || line === null || line.v !== 1 || typeof line.op !== 'string') {
      if (last) break;
      throw new JournalError(`journal ${file}: line ${i + 1} is not a version 1 journal record`, file);
    }
    lines.push(line as JournalLine);
  }
  return lines;
}

/** The state an earlier-format journal describes, as records of this format: its entries (in order), then its anchors. */
export function readLegacyJournal(text: string, file: string): [string, JournalRecord][] {
  const entries = new Map<string, JournalEntry>();
  const anchors = new Map<TerminalKey, ReceiptRef>();
  for (const line of parseLegacyLines(text, file)) {
    const at = typeof line.at === 'string' ? line.at : new Date().toISOString();
    if (line.op === 'anchor') {
      if (typeof line.terminal === 'string' && isObject(line.receipt)) anchors.set(line.terminal, line.receipt as ReceiptRef);
      continue;
    }
    const id = line.id;
    if (typeof id !== 'string') continue;
    if (line.op === 'begin') {
      const entry: JournalEntry = {
        id,
        terminal: String(line.terminal),
        request: line.request as JournalEntry['request'],
        annotations: (line.annotations as JournalEntry['annotations']) ?? {},
        begunAt: at,
        state: 'in-flight',
      };
      if (line.anchor) entry.anchor = line.anchor as ReceiptRef;
      if (typeof line.tid === 'string') entry.tid = line.tid;
      entries.set(id, entry);
      continue;
    }
    const entry = entries.get(id);
    if (!entry) continue;
    if (line.op === 'answered') {
      entry.state = 'answered';
      entry.status = String(line.status);
      entry.approved = line.approved === true;
      if (isObject(line.receipt)) {
        entry.receipt = line.receipt as ReceiptRef;
        anchors.set(entry.terminal, entry.receipt);
      }
    } else if (line.op === 'unknown') {
      entry.state = 'unknown';
      entry.unknownAt = at;
      if (typeof line.phase === 'string') entry.phase = line.phase as JournalEntry['phase'];
      if (typeof line.lastDisplayCode === 'string') entry.lastDisplayCode = line.lastDisplayCode;
    } else if (line.op === 'not-sent') {
      entry.state = 'not-sent';
      entry.reason = String(line.reason ?? '');
    } else if (line.op === 'recovered') {
      const { v: _v, op: _op, id: _id, ...record } = line;
      entry.state = 'recovered';
      entry.recovery = record as unknown as JournalEntry['recovery'];
    }
  }
  let seq = 0;
  const now = new Date().toISOString();
  return [
    ...[...entries.values()].map((e): [string, JournalRecord] => [entryKey(e.id), withOwner({ v: 1, seq: ++seq, op: e.state === 'in-flight' ? 'begin' : e.state, at: e.begunAt, ...e })]),
    ...[...anchors].map(([terminal, receipt]): [string, JournalRecord] => [anchorKey(terminal), { v: 1, seq: ++seq, op: 'anchor', terminal, at: now, receipt }]),
  ];
}
