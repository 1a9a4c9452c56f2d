/** A scripted activator for runreset tests: connects to the activator port and answers the terminal. */
import { childText, packet, type Packet, type XmlElement } from '../../lib/codec/packet';
import { openSocket } from './sim-raw-client';

export interface ActivatorRun {
  /** The terminal's requests, in order. */
  requests: Packet[];
  /** What the activator got back to `<reset/>` itself, if the terminal answered it. */
  resetAnswer?: Packet;
}

const hex = (text: string): string => Buffer.from(text, 'latin1').toString('hex').toUpperCase();
export const PLACEHOLDER_CERT = hex('-----BEGIN SIGNED-CERT PLACEHOLDER-----');
export const PLACEHOLDER_CA = hex('-----BEGIN CA PLACEHOLDER-----');

export type ActivatorAnswer = (request: Packet) => XmlElement;

export function defaultActivatorAnswer(request: Packet): XmlElement {
  if (request.name === 'queryconfigcredentials') {
    return { confdata: { cert: 'AB1234', sign: 'CDEF5678', url: 'https://config.example.test:8443/jpay' } };
  }
  return { 'signed-cert': { cert: PLACEHOLDER_CERT, ca: PLACEHOLDER_CA } };
}

export async function runActivator(port: number, answer: ActivatorAnswer = defaultActivatorAnswer): Promise<ActivatorRun> {
  const socket = await openSocket(port);
  const run: ActivatorRun = { requests: [] };
  try {
    await socket.send(packet('reset'));
    for (;;) {
      let request: Packet;
      try {
        request = await socket.receive(5000);
      } catch {
        return run;
      }
      if (request.name === 'reset') {
        run.resetAnswer = request;
        return run;
      }
      run.requests.push(request);
      await socket.send(packet(request.name, answer(request)));
    }
  } finally {
    socket.destroy();
  }
}

export function keyOf(request: Packet): string {
  return childText(request.body, 'key') ?? '';
}
