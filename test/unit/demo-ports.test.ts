/**
 * `npm start` (scripts/demo.js) tells about a taken port before it spends half a minute
 * building the package.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer, type AddressInfo, type Server } from 'node:net';
import path from 'node:path';

const DEMO = path.resolve(__dirname, '../../scripts/demo.js');

describe('demo: ports are checked before the build', () => {
  let taken: Server;
  before(async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  });
  after(() => new Promise<void>((resolve) => taken.close(() => resolve())));

  it('a taken editor port stops npm start at once, naming the port and its variable, with nothing built', () => {
    const port = String((taken.address() as AddressInfo).port);
    const run = spawnSync(process.execPath, [DEMO], {
      env: { ...process.env, JPAY_DEMO_PORT: port },
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(run.status, 1, run.stdout + run.stderr);
    assert.match(run.stderr, new RegExp(`Port ${port} on 127\\.0\\.0\\.1 \\(Node-RED editor\\) is already in use.*JPAY_DEMO_PORT`));
    assert.doesNotMatch(run.stdout, /Building/);
  });
});
