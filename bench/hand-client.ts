/**
 * The baseline of the command round trip (issue 15): a minimal hand-written JPAY client.
 * It frames the request it writes, reads the answer's frame and parses it with
 * fast-xml-parser (parsePacket's options), decrypting first when encrypted — the work any
 * client must do — and nothing else: no validation, no answer binding, no deadlines, no
 * handlers. The raw client (raw-client.ts: pre-built bytes, no parse) is the physical limit.
 */
import { XMLParser } from 'fast-xml-parser';
import { XML_PARSER_OPTIONS } from '../dist/lib/codec/xml';
import { frame, open, rawExchange, seal } from './raw-client';

export interface HandSession {
  token: string;
  key?: Buffer;
}

type Tree = Record<string, Record<string, unknown> | undefined>;

/** testconnection with the session's token; throws unless the terminal answered `ok`. */
export function handTestConnection(port: number, session: HandSession): () => Promise<void> {
  const parser = new XMLParser(XML_PARSER_OPTIONS);
  const status = (xml: string, root: string): unknown => (parser.parse(xml) as Tree)[root]?.status;
  const { token, key } = session;
  if (!key) {
    return async () => {
      const reply = await rawExchange(port, frame(`<testconnection><token>${token}</token></testconnection>`));
      if (status(reply.toString('utf8'), 'testconnection') !== 'ok') throw new Error('hand testconnection failed');
    };
  }
  return async () => {
    const inner = Buffer.from(`<encrypted-data><token>${token}</token></encrypted-data>`, 'utf8');
    const reply = await rawExchange(port, frame(`<testconnection><encrypted>${seal(key, inner)}</encrypted></testconnection>`));
    const sealed = (parser.parse(reply.toString('utf8')) as Tree).testconnection?.encrypted;
    if (typeof sealed !== 'string' || status(open(key, sealed).toString('utf8'), 'encrypted-data') !== 'ok') {
      throw new Error('hand encrypted testconnection failed');
    }
  };
}
