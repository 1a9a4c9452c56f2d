/** Fuzz (short, CI): decryptPacket and the handshake decoders. The long run is scripts/fuzz.ts. */
import assert from 'node:assert/strict';
import { decryptPlaintextTarget, decryptRandomTarget, decryptTamperedTarget, handshakeTarget } from './crypto-targets';
import { runTarget } from './kit';

describe('fuzz: crypto unwrap', function () {
  this.timeout(30_000);

  it("random <encrypted> blocks and keys: only JpayProtocolError('bad-crypto')", () => {
    const stats = runTarget(decryptRandomTarget, 1000);
    assert.deepEqual([...stats.errors.keys()], ['JpayProtocolError:bad-crypto']);
    assert.equal(stats.errors.get('JpayProtocolError:bad-crypto'), 1000, 'nothing random decrypts');
  });

  it("tampered sealed packets: the original packet or 'bad-crypto'", () => {
    const stats = runTarget(decryptTamperedTarget, 1000);
    assert.deepEqual([...stats.errors.keys()], ['JpayProtocolError:bad-crypto']);
  });

  it("well-sealed garbage plaintexts: a packet or 'bad-crypto'", () => {
    const stats = runTarget(decryptPlaintextTarget, 800);
    assert.deepEqual([...stats.errors.keys()], ['JpayProtocolError:bad-crypto']);
  });

  it("random and mutated handshakes: a valid point or JpayProtocolError('bad-handshake')", () => {
    const stats = runTarget(handshakeTarget, 400);
    assert.deepEqual([...stats.errors.keys()], ['JpayProtocolError:bad-handshake']);
  });
});
