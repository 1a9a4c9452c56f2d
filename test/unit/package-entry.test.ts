/**
 * The package as a user loads it: `main` (dist/lib/index.js, CommonJS, built by
 * `npm run build`) exports what the README's examples import, and nothing of Node-RED.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { main: string };

describe('package entry (the built main, loaded by plain require)', () => {
  it('exports the client, the simulator, recovery, the receipt publisher and the typed errors', () => {
    const script = `
      const lib = require(${JSON.stringify(path.join(ROOT, pkg.main))});
      const names = ['JpayClient', 'startSimulator', 'TransactionRecovery', 'createReceiptPublisher', 'JpayValidationError', 'TransactionOutcomeUnknown', 'parsePacket', 'encodeFrame'];
      const missing = names.filter((n) => typeof lib[n] !== 'function');
      const nodeRed = Object.keys(require.cache).filter((f) => /[\\\\/]node-red[\\\\/]|@node-red/.test(f));
      process.stdout.write(JSON.stringify({ missing, nodeRed }));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' })) as { missing: string[]; nodeRed: string[] };
    assert.deepEqual(out.missing, []);
    assert.deepEqual(out.nodeRed, [], 'the library pulls in no Node-RED module');
  });
});
