/**
 * The jpay-sidebar plugin's runtime in the real Node-RED (its own binary, the package
 * installed in the user directory as a link to dist/), with adminAuth on: an admin (`*`)
 * and a viewer (`read`). The board lists the running jpay-terminal, comms pushes it
 * (busy, then online with the receipt, PAN masked) and the receipt outboxes, the viewer may look but not act, and a
 * test purchase runs only with a one-use confirmation issued for that amount on that terminal.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BoardEntry } from '../../lib/operator/terminal-board';
import { startSimulator, type SimulatorHandle } from '../../lib/simulator';
import { TEST_CARDS } from '../../lib/simulator/cards';
import { freePort } from '../helpers/mosquitto';
import { NODE_RED_READY, resolveNodeRed } from '../helpers/node-red-runtime';

const ROOT = path.resolve(__dirname, '../..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { installPackage } = require(path.join(ROOT, 'scripts', 'demo', 'node-red.js')) as { installPackage(userDir: string, root: string): void };
// Node-RED's own websocket client.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const WebSocket = require(require.resolve('ws', { paths: [path.dirname(resolveNodeRed('@node-red/editor-api/package.json'))] })) as typeof import('ws');

const SETTINGS = `
const USERS = { admin: '*', viewer: 'read' };
const user = (u) => (USERS[u] ? { username: u, permissions: USERS[u] } : null);
module.exports = {
  flowFile: 'flows.json',
  credentialSecret: false,
  logging: { console: { level: 'info' } },
  adminAuth: {
    type: 'credentials',
    users: (u) => Promise.resolve(user(u)),
    authenticate: (u, p) => Promise.resolve(p === 'pw-' + u ? user(u) : null),
  },
};
`;

interface Answer {
  status: number;
  json: Record<string, unknown>;
}

function http(method: string, url: string, options: { body?: unknown; token?: string; form?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const data = options.form ? new URLSearchParams(options.form).toString() : options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (data !== undefined) headers['content-type'] = options.form ? 'application/x-www-form-urlencoded' : 'application/json';
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const req = request(url, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        let json: Record<string, unknown>;
        try {
          json = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
        } catch {
          json = { text };
        }
        resolve({ status: res.statusCode ?? 0, json });
      });
    });
    req.once('error', reject);
    req.end(data);
  });
}

describe('jpay-sidebar plugin: the operator board in the real Node-RED with adminAuth', function () {
  this.timeout(60_000);
  let sim: SimulatorHandle;
  let red: ChildProcessWithoutNullStreams | undefined;
  let userDir: string;
  let base: string;
  let output = '';
  const tokens: Record<string, string> = {};
  const transactions: string[] = [];

  before(async () => {
    sim = await startSimulator({ port: 0, activatorPort: 0, timing: { cardDelayMs: 20 } });
    sim.on('event', (e) => {
      if (e.type === 'command' && e.command === 'transaction') transactions.push(e.status);
    });
    userDir = mkdtempSync(path.join(tmpdir(), 'jpay-sidebar-'));
    installPackage(userDir, ROOT);
    writeFileSync(path.join(userDir, 'settings.js'), SETTINGS);
    writeFileSync(
      path.join(userDir, 'flows.json'),
      JSON.stringify([
        { id: 'term', type: 'jpay-terminal', name: 'Kiosk 7', host: '127.0.0.1', port: sim.port, encrypt: false, language: 'en' },
        // A receipt outbox whose broker is not there (a closed port).
        { id: 'outbox', type: 'jpay-mqtt-broker', name: 'Receipts broker', host: '127.0.0.1', port: String(await freePort()), prefix: 'jpay', journalFile: path.join(userDir, 'outbox.jsonl') },
        // A jpay-publish with its own outbox over a core mqtt-broker (also not there).
        { id: 'tab', type: 'tab', label: 'Receipts' },
        { id: 'core', type: 'mqtt-broker', name: 'Core broker', broker: '127.0.0.1', port: String(await freePort()), clientid: '', autoConnect: true, usetls: false, protocolVersion: '4', keepalive: '60', cleansession: true },
        { id: 'pub', type: 'jpay-publish', z: 'tab', name: 'Receipts (own outbox)', broker: 'core', prefix: 'jpay', journalFile: path.join(userDir, 'pub-outbox.jsonl'), wires: [] },
      ]),
    );
    writeFileSync(path.join(userDir, 'flows_cred.json'), JSON.stringify({ term: { password: '12345678' } }));
    const port = await freePort();
    red = spawn(process.execPath, [resolveNodeRed('node-red/red.js'), '--userDir', userDir, '--settings', path.join(userDir, 'settings.js'), '--port', String(port)], {
      cwd: userDir,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      const check = (chunk: Buffer): void => {
        output += chunk.toString();
        if (NODE_RED_READY.test(output)) resolve();
      };
      red?.stdout.on('data', check);
      red?.stderr.on('data', check);
      red?.once('exit', (code) => reject(new Error(`Node-RED exited (${code}):\n${output}`)));
    });
    base = `http://127.0.0.1:${port}`;
    for (const [username, scope] of [['admin', '*'], ['viewer', 'read']]) {
      const got = await http('POST', `${base}/auth/token`, {
        form: { client_id: 'node-red-admin', grant_type: 'password', scope, username, password: `pw-${username}` },
      });
      assert.equal(got.status, 200, JSON.stringify(got.json));
      tokens[username] = String(got.json.access_token);
    }
  });

  after(async () => {
    if (red && red.exitCode === null) {
      const exited = new Promise((resolve) => red?.once('exit', resolve));
      red.kill('SIGTERM');
      await exited;
    }
    await sim?.close();
    rmSync(userDir, { recursive: true, force: true });
  });

  const board = async (token: string | undefined): Promise<Answer> => http('GET', `${base}/jpay/terminals`, token ? { token } : {});

  it('is registered as a plugin of the package', async () => {
    const plugins = await http('GET', `${base}/plugins`, { token: tokens.viewer });
    assert.equal(plugins.status, 200);
    const list = plugins.json as unknown as { id: string; plugins: { id: string }[] }[];
    const ours = list.find((p) => p.id === '@jpaykit/node-red-jpay/jpay-sidebar');
    assert.ok(ours, JSON.stringify(list));
    assert.deepEqual(
      ours.plugins.map((p) => p.id),
      ['jpay-sidebar'],
    );
  });

  it('lists the running jpay-terminal to a viewer (jpay.read), and to nobody without a login', async () => {
    assert.equal((await board(undefined)).status, 401);
    const got = await board(tokens.viewer);
    assert.equal(got.status, 200);
    const terminals = got.json.terminals as BoardEntry[];
    assert.equal(terminals.length, 1);
    assert.equal(terminals[0].id, 'term');
    assert.equal(terminals[0].label, 'Kiosk 7');
    assert.equal(terminals[0].address, `127.0.0.1:${sim.port}`);
    assert.equal(terminals[0].state.state, 'online');
    const outboxes = got.json.outboxes as { id: string; label: string; state: string; queued: number }[];
    assert.deepEqual(
      outboxes.map((o) => [o.id, o.label, o.queued]).sort(),
      [
        ['outbox', 'Receipts broker', 0],
        ['pub', 'Receipts (own outbox)', 0],
      ],
    );
    for (const outbox of outboxes) assert.notEqual(outbox.state, 'connected');
  });

  it('refuses every action to the viewer (no jpay.write): nothing reaches the terminal', async () => {
    for (const action of ['test-connection', 'x-report', 'purchase/confirmation', 'purchase']) {
      const got = await http('POST', `${base}/jpay/terminals/term/${action}`, { token: tokens.viewer, body: { amount: 100 } });
      assert.equal(got.status, 401, action);
    }
    assert.deepEqual(transactions, []);
  });

  it('runs the connection test and the X-report for the admin', async () => {
    const tested = await http('POST', `${base}/jpay/terminals/term/test-connection`, { token: tokens.admin });
    assert.equal(tested.status, 200, JSON.stringify(tested.json));
    assert.deepEqual(tested.json, { ok: true, action: 'test-connection' });
    const report = await http('POST', `${base}/jpay/terminals/term/x-report`, { token: tokens.admin });
    assert.equal(report.status, 200, JSON.stringify(report.json));
    assert.equal(report.json.action, 'x-report');
    assert.equal(typeof report.json.transactions, 'number');
  });

  it('a purchase without a valid confirmation is refused and sends nothing', async () => {
    for (const body of [{}, { token: 'made-up' }, { amount: 100 }]) {
      const got = await http('POST', `${base}/jpay/terminals/term/purchase`, { token: tokens.admin, body });
      assert.equal(got.status, 409, JSON.stringify(body));
      assert.match(String(got.json.error), /^confirmation:/);
    }
    for (const amount of [0, -5, 1.5, '1.50', 100_001, 'x']) {
      const got = await http('POST', `${base}/jpay/terminals/term/purchase/confirmation`, { token: tokens.admin, body: { amount } });
      assert.equal(got.status, 400, String(amount));
      assert.match(String(got.json.error), /^amount:/);
    }
    const unknown = await http('POST', `${base}/jpay/terminals/nope/purchase/confirmation`, { token: tokens.admin, body: { amount: 100 } });
    assert.equal(unknown.status, 404);
    assert.deepEqual(transactions, []);
  });

  it('a confirmed test purchase pays once; comms shows the terminal busy, then online with the receipt (PAN masked)', async () => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/comms`);
    const seen: BoardEntry[][] = [];
    const raw: string[] = [];
    const busyThenBack = new Promise<void>((resolve) => {
      ws.on('message', (data) => {
        const text = data.toString();
        raw.push(text);
        const parsed = JSON.parse(text) as { topic?: string; data?: { terminals: BoardEntry[] } }[] | { auth?: string };
        if (!Array.isArray(parsed)) return;
        for (const m of parsed) {
          if (m.topic !== 'jpay/terminals' || !m.data) continue;
          seen.push(m.data.terminals);
          const states = seen.map((t) => t[0]?.state.state);
          const last = m.data.terminals[0];
          if (states.includes('busy') && last?.state.state === 'online' && last.receipts.length > 0) resolve();
        }
      });
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => {
        ws.send(JSON.stringify({ auth: tokens.viewer }));
        ws.once('message', (data) => {
          assert.match(data.toString(), /"auth":"ok"/);
          ws.send(JSON.stringify({ subscribe: 'jpay/terminals' }));
          resolve();
        });
      });
      ws.once('error', reject);
    });
    try {
      const confirmation = await http('POST', `${base}/jpay/terminals/term/purchase/confirmation`, { token: tokens.admin, body: { amount: 150 } });
      assert.equal(confirmation.status, 200, JSON.stringify(confirmation.json));
      assert.equal(confirmation.json.amount, 150);
      assert.deepEqual(confirmation.json.terminal, { id: 'term', label: 'Kiosk 7', address: `127.0.0.1:${sim.port}` });
      assert.deepEqual(transactions, [], 'the confirmation alone sends nothing');
      const token = confirmation.json.token;

      // Another terminal's id with this token buys nothing.
      const elsewhere = await http('POST', `${base}/jpay/terminals/other/purchase`, { token: tokens.admin, body: { token } });
      assert.equal(elsewhere.status, 404);

      const paid = await http('POST', `${base}/jpay/terminals/term/purchase`, { token: tokens.admin, body: { token } });
      assert.equal(paid.status, 200, JSON.stringify(paid.json));
      assert.equal(paid.json.outcome, 'approved');
      assert.equal(paid.json.amount, 150);
      const receipt = paid.json.receipt as { pan: string; amount: number };
      assert.equal(receipt.amount, 150);
      assert.match(receipt.pan, /^\d{6}\*+\d{4}$|^\*+\d{4}$|^\d{4}\*+\d{4}$/);

      const again = await http('POST', `${base}/jpay/terminals/term/purchase`, { token: tokens.admin, body: { token } });
      assert.equal(again.status, 409, 'the confirmation is used');
      assert.deepEqual(transactions, ['ok'], 'exactly one transaction');

      await busyThenBack;
      const after = (await board(tokens.viewer)).json.terminals as BoardEntry[];
      assert.equal(after[0].receipts[0].amount, 150);
      assert.equal(after[0].state.today.approved, 1);
      const everything = raw.join('\n') + JSON.stringify(after);
      for (const card of TEST_CARDS) assert.ok(!everything.includes(card.pan), `the full PAN ${card.id} reached the editor`);
      assert.ok(!everything.includes('12345678'), 'the admin password reached the editor');
    } finally {
      ws.close();
    }
  });
});
