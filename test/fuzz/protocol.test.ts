/** Fuzz (short, CI): the lib/protocol parsers on mutated packets. The long run is scripts/fuzz.ts. */
import assert from 'node:assert/strict';
import { runTarget } from './kit';
import { protocolPacketTarget, protocolTextTarget } from './protocol-targets';

describe('fuzz: protocol parsers (parseResponse, parseMessage, parseRequest, answers)', function () {
  this.timeout(30_000);

  it('structurally mutated example packets: typed results or library errors only', () => {
    const stats = runTarget(protocolPacketTarget, 800);
    assert.equal(stats.inputs, 800);
    for (const key of stats.errors.keys()) assert.match(key, /^Jpay(Protocol|Validation)Error:/);
    assert.ok((stats.errors.get('JpayProtocolError:bad-packet') ?? 0) > 0, 'malformed fields are reported as bad-packet');
  });

  it('mutated example texts that still parse: typed results or library errors only', () => {
    const stats = runTarget(protocolTextTarget, 800);
    assert.equal(stats.inputs, 800);
    for (const key of stats.errors.keys()) assert.match(key, /^Jpay(Protocol|Validation)Error:/);
  });
});
