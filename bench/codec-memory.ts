/**
 * Child process for the codec's memory figures: parses one X-report in a fresh process so
 * the peak RSS belongs to that parse alone. `subject` = frame + parsePacket + parseResponse,
 * `baseline` = fast-xml-parser alone with the same options.
 */
import { XMLParser } from 'fast-xml-parser';
import { encodeFrame, FrameDecoder } from '../dist/lib/codec/frame';
import { parsePacket, XML_PARSER_OPTIONS } from '../dist/lib/codec/xml';
import { parseResponse } from '../dist/lib/protocol/responses';
import { serve } from './child';
import { xreportResponseXml } from './fixtures';
import { gc } from './gc';

export interface MemoryFigures {
  /** Heap still held by the parsed result after a full GC, bytes. */
  retainedHeap: number;
  /** Peak RSS during the parse minus the RSS before it, bytes. */
  peakRssGrowth: number;
}

const MAX_FRAME = 64 * 1024 * 1024;
let held: unknown;

function measure(params: { side: 'subject' | 'baseline'; transactions: number }): MemoryFigures {
  const text = xreportResponseXml(params.transactions);
  const framed = encodeFrame(text, MAX_FRAME);
  const parser = new XMLParser(XML_PARSER_OPTIONS);
  const parse =
    params.side === 'subject'
      ? () => parseResponse('report', parsePacket(new FrameDecoder(MAX_FRAME).push(framed)[0].toString('utf8')))
      : () => parser.parse(text);
  // Warm the code on a small report so compiled code is not counted.
  const small = xreportResponseXml(20);
  if (params.side === 'subject') parseResponse('report', parsePacket(small));
  else parser.parse(small);
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const rssBefore = process.memoryUsage.rss();
  held = parse();
  const peak = process.resourceUsage().maxRSS * 1024;
  gc();
  return { retainedHeap: process.memoryUsage().heapUsed - heapBefore, peakRssGrowth: peak - rssBefore };
}

if (require.main === module) {
  serve({
    measure,
    release: () => {
      const had = held !== undefined;
      held = undefined;
      return had;
    },
  });
}
