/**
 * The baseline of the command round trip (issue 15): a minimal hand-written JPAY client
 * doing the job any client must do, with the library's connection pattern and nothing else.
 *
 * Per command (rawExchange in raw-client.ts): a new TCP connection (the protocol is one
 * command per connection, and the library opens one too), TCP_NODELAY as the library sets
 * it; the request framed per call (4-byte length + XML from a template, sealed with
 * AES-256-GCM straight from node:crypto when encrypted) and written on `connect`; the
 * answer's frame read and our FIN sent as soon as it is complete; then the wait for the
 * socket's `close` (the library waits for the terminal's FIN, a few µs earlier: neither lets
 * the next command's connection overlap this one at the terminal); the
 * answer parsed with fast-xml-parser (parsePacket's options; the inner packet too, after
 * decrypting, when encrypted) and its status checked.
 *
 * Not done, and so the library's measured extra: request validation, the strict XML
 * well-formedness check, answer binding, frame and queue bounds, the watchdog (connect,
 * caps, idle, close wait), TCP keep-alive (the library turns it on only for a connection
 * that outlives its first second, so not here either), the message dispatch, the command
 * queue and events, the IV memory of an encrypted session. The raw client (raw-client.ts:
 * pre-built bytes, no parse) is the physical limit.
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
