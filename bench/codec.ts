/**
 * Measurement 2 — codec: a received frame to a typed result (FrameDecoder + parsePacket +
 * parseResponse) and a packet to a frame (serializePacket + encodeFrame), against
 * fast-xml-parser alone on the same text (XMLParser with parsePacket's options; XMLBuilder
 * for building). Texts: a typical purchase receipt and a full X-report. Plus memory: the
 * heap a parsed X-report keeps and the peak RSS growth while parsing it (codec-memory.ts).
 */
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { encodeFrame, FrameDecoder } from '../dist/lib/codec/frame';
import type { Packet } from '../dist/lib/codec/packet';
import { parsePacket, serializePacket, XML_PARSER_OPTIONS } from '../dist/lib/codec/xml';
import { parseResponse } from '../dist/lib/protocol/responses';
import type { CommandName } from '../dist/lib/protocol/types';
import { receiptResponseXml, xreportResponseXml } from './fixtures';
import { Child } from './child';
import type { MemoryFigures } from './codec-memory';
import { interleave, timeSync, type Comparison } from './stats';

export interface CodecOptions {
  /** Transactions in the X-report (10,000 for the real run). */
  reportTransactions: number;
  /** Receipt parses/builds per round; X-report parses/builds per round. */
  receiptIterations: number;
  reportIterations: number;
  rounds: number;
}

export interface CodecCase {
  name: string;
  bytes: number;
  /** µs per parse: subject = frame + parsePacket + parseResponse, baseline = XMLParser.parse. */
  parse: Comparison;
  /** µs per build: subject = serializePacket + encodeFrame, baseline = XMLBuilder.build. */
  build: Comparison;
}

export interface CodecResult {
  receipt: CodecCase;
  report: CodecCase;
  memory: { subject: MemoryFigures; baseline: MemoryFigures };
}

/** A full X-report is larger than the 1 MiB default frame limit; the client's maxFrameSize must be raised for it. */
const MAX_FRAME = 64 * 1024 * 1024;

const BUILDER_OPTIONS = {
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  textNodeName: '#text',
  suppressEmptyNode: true,
};

function subjectParse(command: CommandName, framed: Buffer): unknown {
  const decoder = new FrameDecoder(MAX_FRAME);
  const [payload] = decoder.push(framed);
  return parseResponse(command, parsePacket(payload.toString('utf8')));
}

function measureCase(name: string, command: CommandName, text: string, iterations: number, rounds: number): Promise<CodecCase> {
  const framed = encodeFrame(text, MAX_FRAME);
  const parser = new XMLParser(XML_PARSER_OPTIONS);
  const builder = new XMLBuilder(BUILDER_OPTIONS);
  const packet: Packet = parsePacket(text);
  const tree = { [packet.name]: packet.body };
  const warm = Math.max(1, Math.min(iterations, 50));
  timeSync(() => subjectParse(command, framed), warm);
  timeSync(() => parser.parse(text), warm);
  timeSync(() => encodeFrame(serializePacket(packet), MAX_FRAME), warm);
  timeSync(() => builder.build(tree), warm);
  return (async () => {
    const parse = await interleave(
      rounds,
      () => timeSync(() => subjectParse(command, framed), iterations),
      () => timeSync(() => parser.parse(text), iterations),
    );
    const build = await interleave(
      rounds,
      () => timeSync(() => encodeFrame(serializePacket(packet), MAX_FRAME), iterations),
      () => timeSync(() => builder.build(tree), iterations),
    );
    return { name, bytes: framed.length - 4, parse, build };
  })();
}

/** Memory of parsing the X-report, each side in a fresh child process. */
async function memoryOf(side: 'subject' | 'baseline', transactions: number): Promise<MemoryFigures> {
  const child = Child.start('codec-memory.ts');
  try {
    return await child.call<MemoryFigures>('measure', { side, transactions });
  } finally {
    await child.stop();
  }
}

export async function benchCodec(options: CodecOptions): Promise<CodecResult> {
  const receipt = await measureCase('receipt', 'transaction', receiptResponseXml(), options.receiptIterations, options.rounds);
  const reportText = xreportResponseXml(options.reportTransactions);
  const report = await measureCase(
    `X-report, ${options.reportTransactions} transactions`,
    'report',
    reportText,
    options.reportIterations,
    options.rounds,
  );
  const memory = {
    subject: await memoryOf('subject', options.reportTransactions),
    baseline: await memoryOf('baseline', options.reportTransactions),
  };
  return { receipt, report, memory };
}
