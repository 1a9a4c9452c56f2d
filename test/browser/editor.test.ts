/**
 * The Node-RED editor in headless Chromium (playwright-core), against the `npm start` demo
 * started by the test on random ports: the palette, the deployed examples, Import >
 * Examples, every node's edit dialog and help, a click that pays, and the screenshot the
 * README shows (docs/images/flow.png). Chromium missing is a failure, not a skip.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { demoInChromium } from '../helpers/editor-page';

const ROOT = path.resolve(__dirname, '../..');
// The README's picture is refreshed only on request, so `npm test` leaves the tree clean.
const SCREENSHOT = process.env.JPAY_UPDATE_SCREENSHOT
  ? path.join(ROOT, 'docs', 'images', 'flow.png')
  : path.join(os.tmpdir(), `jpay-flow-${process.pid}.png`);

const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { 'node-red': { nodes: Record<string, string> } };
const ALL_TYPES = Object.keys(pkg['node-red'].nodes);
const CONFIG_TYPES = ['jpay-terminal', 'jpay-mqtt-broker'];
const PALETTE_TYPES = ALL_TYPES.filter((t) => !CONFIG_TYPES.includes(t));
/** The config node each palette node's dialog must offer. */
const CONFIG_FIELD: Record<string, string> = { 'jpay-publish': 'broker' };
const EXAMPLES = readdirSync(path.join(ROOT, 'examples', 'flows'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.replace(/\.json$/, ''));

/** The first sentence-ish of a node's en-US help (its first <p>), as the help panel shows it. */
function helpIntro(type: string): string {
  const file = path.join(ROOT, 'nodes', type, 'locales', 'en-US', `${type}.html`);
  const html = readFileSync(file, 'utf8');
  const block = new RegExp(`data-help-name="${type}"[\\s\\S]*?<p>([\\s\\S]*?)</p>`).exec(html);
  assert.ok(block, `${file}: no help paragraph for ${type}`);
  const text = block[1]
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
  return text.length > 60 ? text.slice(0, 60) : text;
}

/**
 * `mosquitto_sub -v -C 1` on the demo's broker: resolves once subscribed (its debug output
 * shows the SUBACK); `line` is the first message as `<topic> <payload>`.
 */
async function mosquittoSub(port: number, topic: string): Promise<{ line: Promise<string>; stop(): void }> {
  // stdbuf: mosquitto_sub block-buffers a pipe, which would hide the SUBACK until it exits.
  const child = spawn('stdbuf', ['-oL', 'mosquitto_sub', '-h', '127.0.0.1', '-p', String(port), '-t', topic, '-q', '1', '-v', '-d', '-C', '1', '-W', '60'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const onData = (b: Buffer): void => {
      out += b.toString();
      if (/received SUBACK/.test(out)) {
        child.stdout.off('data', onData);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.once('error', reject);
    void exited.then((code) => reject(new Error(`mosquitto_sub exited (${code}) before subscribing: ${out}${err}`)));
  });
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  const line = exited.then((code) => {
    const message = out.split('\n').find((l) => l.startsWith(topic.split('/')[0] + '/'));
    if (code !== 0 || !message) throw new Error(`mosquitto_sub exited (${code}) without a message: ${out}${err}`);
    return message;
  });
  line.catch(() => undefined);
  return { line, stop: () => child.kill('SIGKILL') };
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('the Node-RED editor with the jpay nodes (headless Chromium, the npm start demo)', function () {
  this.timeout(120000);
  const suite = demoInChromium();
  let page: Page;
  /** Console errors and page errors of the editor (its own origin). */
  let errors: string[];

  async function openEditor(viewport = { width: 1600, height: 900 }): Promise<void> {
    ({ page, errors } = await suite.openEditor({ viewport }));
  }


  async function showTab(label: string): Promise<void> {
    await page.evaluate((l) => {
      let id: string | undefined;
      RED.nodes.eachWorkspace((w) => {
        if (w.label === l) id = w.id;
      });
      if (!id) throw new Error(`no tab ${l}`);
      RED.workspaces.show(id);
    }, label);
  }

  async function nodeIdByName(name: string): Promise<string> {
    const id = await page.evaluate((n) => {
      let found: string | undefined;
      RED.nodes.eachNode((node) => {
        if (node.name === n) found = node.id;
      });
      return found;
    }, name);
    assert.ok(id, `no node named ${name}`);
    return id;
  }

  it('lists every jpay node in the palette, in the category jpay', async () => {
    await openEditor();
    const inPalette = await page.$$eval('#red-ui-palette-container-jpay .red-ui-palette-node', (els) => els.map((e) => e.getAttribute('data-palette-type')));
    assert.deepEqual([...inPalette].sort(), [...PALETTE_TYPES].sort());
    const categories = await page.evaluate((types) => types.map((t) => RED.nodes.getType(t)?.category), ALL_TYPES);
    assert.deepEqual(
      categories,
      ALL_TYPES.map((t) => (CONFIG_TYPES.includes(t) ? 'config' : 'jpay')),
    );
    assert.deepEqual(errors, []);
  });

  it('has every example deployed on its own tab, each node valid and of a known type', async () => {
    await openEditor();
    const state = await page.evaluate(() => {
      const tabs: string[] = [];
      RED.nodes.eachWorkspace((w) => {
        tabs.push(w.label);
      });
      // (No named functions in here: tsx would wrap them in a helper the page does not have.)
      const all: EditorNode[] = [];
      RED.nodes.eachNode((n) => {
        all.push(n);
      });
      RED.nodes.eachConfig((n) => {
        all.push(n);
      });
      const bad = all
        .filter((n) => !RED.nodes.getType(n.type) || n.valid === false)
        .map((n) => `${n.type} ${n.name || n.id}: ${RED.nodes.getType(n.type) ? 'invalid' : 'unknown type'}`);
      return { tabs, bad, dirty: RED.nodes.dirty() };
    });
    assert.equal(state.tabs.length, EXAMPLES.length, state.tabs.join());
    assert.ok(state.tabs.every((t) => t.startsWith('JPAY: ')), state.tabs.join());
    assert.deepEqual(state.bad, []);
    assert.equal(state.dirty, false, 'nothing to deploy');
    assert.deepEqual(errors, []);
  });

  it('lists the examples under Import > Examples', async () => {
    await openEditor();
    await page.evaluate(() => RED.actions.invoke('core:show-examples-import-dialog'));
    const dialog = page.locator('.ui-dialog:visible');
    // The tree has a root named "flows" too: look for our folder inside our module's item
    // (label and children share one container), so a click before our children are drawn
    // waits for them instead of hitting the root.
    const moduleLabel = dialog.locator('.red-ui-treeList-label').filter({ has: page.getByText('@jpaykit/node-red-jpay', { exact: true }) });
    await moduleLabel.click();
    await moduleLabel.locator('xpath=..').getByText('flows', { exact: true }).click();
    for (const name of EXAMPLES) await dialog.getByText(name, { exact: true }).waitFor({ timeout: 10000 });
    assert.deepEqual(errors, []);
  });

  it('opens the edit dialog of each node dragged from the palette, and of the jpay-terminal and jpay-mqtt-broker config nodes', async () => {
    await openEditor();
    await page.evaluate(() => RED.workspaces.add());
    const chart = page.locator('#red-ui-workspace-chart');
    for (const [i, type] of PALETTE_TYPES.entries()) {
      const before = await page.evaluate(() => {
        const ids: string[] = [];
        RED.nodes.eachNode((n) => {
          ids.push(n.id);
        });
        return ids;
      });
      const item = page.locator(`.red-ui-palette-node[data-palette-type="${type}"]`);
      await item.scrollIntoViewIfNeeded();
      await item.dragTo(chart, { targetPosition: { x: 200 + 220 * (i % 3), y: 120 + 100 * Math.floor(i / 3) } });
      const id = await page.evaluate(
        ({ t, known }) => {
          let added: string | undefined;
          RED.nodes.eachNode((n) => {
            if (n.type === t && !known.includes(n.id)) added = n.id;
          });
          return added;
        },
        { t: type, known: before },
      );
      assert.ok(id, `dragging ${type} from the palette added no node`);

      await chart.locator(`[id="${id}"] .red-ui-flow-node`).first().dblclick();
      const tray = page.locator('.red-ui-tray').last();
      await tray.locator('#node-input-name').waitFor({ state: 'visible' });
      const text = await tray.innerText();
      assert.doesNotMatch(text, /\bjpay-[a-z]+\.[a-zA-Z]+\.[a-zA-Z]/, `${type}: an untranslated label in the dialog`);
      const field = CONFIG_FIELD[type] ?? 'terminal';
      assert.ok(await tray.locator(`#node-input-${field}`).count(), `${type}: the dialog offers the ${field}`);

      if (type === 'jpay-transaction') {
        // The config node's dialog for a new terminal, through the + button next to the terminal.
        await page.locator('#node-input-btn-terminal-add').click();
        await page.locator('#node-config-input-host').waitFor({ state: 'visible' });
        assert.equal(await page.locator('#node-config-input-host').inputValue(), '127.0.0.1', 'the default host');
        assert.equal(await page.locator('#node-config-input-password').getAttribute('type'), 'password');
        const config = await page.locator('.red-ui-tray').last().innerText();
        assert.doesNotMatch(config, /\bjpay-terminal\.[a-zA-Z]+\.[a-zA-Z]/, 'jpay-terminal: an untranslated label');
        await page.locator('#node-config-dialog-cancel').click();
        await page.locator('#node-config-input-host').waitFor({ state: 'detached' });
      }
      if (type === 'jpay-publish') {
        // The broker is the core mqtt-broker config node: its dialog, through the + button next to the broker.
        await page.locator('#node-input-btn-broker-add').click();
        await page.locator('#node-config-input-broker').waitFor({ state: 'visible' });
        await page.locator('#node-config-dialog-cancel').click();
        await page.locator('#node-config-input-broker').waitFor({ state: 'detached' });
      }
      // Done runs the dialog's save code too.
      await page.locator('#node-dialog-ok').click();
      await page.locator('.red-ui-tray').waitFor({ state: 'detached' });
      assert.deepEqual(errors, [], `console errors around the ${type} dialog`);
    }
  });

  it('shows the en-US help of every jpay node', async () => {
    await openEditor();
    for (const type of ALL_TYPES) {
      await page.evaluate((t) => RED.sidebar.help.show(t), type);
      const intro = helpIntro(type);
      await page.locator('.red-ui-help').filter({ hasText: intro }).first().waitFor({ state: 'visible', timeout: 5000 });
    }
    assert.deepEqual(errors, []);
  });

  it('a click on "Pay 150.00 ₽" puts an approved receipt in the debug sidebar', async () => {
    await openEditor();
    await showTab('JPAY: getting started');
    await page.evaluate(() => RED.sidebar.show('debug'));
    const inject = await nodeIdByName('Pay 150.00 ₽');
    await page.locator(`[id="${inject}"] .red-ui-flow-node-button`).click();
    const msg = page.locator('.red-ui-debug-msg').filter({ hasText: 'Result and receipt' }).first();
    await msg.waitFor({ timeout: 15000 });
    await msg.locator('.red-ui-debug-msg-object-handle').first().click();
    const text = (await msg.innerText()).replace(/\s+/g, ' ');
    assert.match(text, /approved: true/);
    assert.match(text, /status: "ok"/);
    assert.deepEqual(errors, []);
  });

  it('the MQTT tab publishes the receipt to the embedded broker: mosquitto_sub sees it, as the README shows', async () => {
    const sub = await mosquittoSub(suite.demo.mqttPort, 'jpay/+/receipt');
    try {
      await openEditor();
      await showTab('JPAY: receipts to MQTT');
      const inject = await nodeIdByName('Pay 50.00 ₽');
      await page.locator(`[id="${inject}"] .red-ui-flow-node-button`).click();
      const line = await sub.line.catch((err: Error) => {
        throw new Error(`${err.message}\n--- the demo printed:\n${suite.demo.output()}`);
      });
      const space = line.indexOf(' ');
      assert.equal(line.slice(0, space), 'jpay/demo/receipt');
      const message = JSON.parse(line.slice(space + 1)) as { format: string; receiptId: string; receipt: { amountAuthorized: number; approved: boolean } };
      assert.equal(message.format, 'jpay-receipt/1');
      assert.equal(message.receipt.amountAuthorized, 5000);
      assert.equal(message.receipt.approved, true);
      assert.deepEqual(errors, []);
    } finally {
      sub.stop();
    }
  });

  it('takes the screenshot of the vending flow with its receipt (docs/images/flow.png)', async () => {
    await openEditor({ width: 1920, height: 640 });
    await showTab('JPAY: vending');
    await page.evaluate(() => RED.sidebar.show('debug'));
    await page.locator('#red-ui-palette-search input').pressSequentially('jpay');
    const inject = await nodeIdByName('Buy slot A1 (150.00 ₽)');
    await page.locator(`[id="${inject}"] .red-ui-flow-node-button`).click();
    const msg = page.locator('.red-ui-debug-msg').filter({ hasText: 'Sold: approved receipt' }).first();
    await msg.waitFor({ timeout: 15000 });
    await msg.locator('.red-ui-debug-msg-object-handle').first().click();
    assert.match((await msg.innerText()).replace(/\s+/g, ' '), /approved: true/);
    await msg.getByText('receipt', { exact: true }).click();
    await msg.getByText('amountAuthorized', { exact: true }).waitFor();
    // The "injected" notification fades out; the pointer leaves the canvas.
    await page.locator('.red-ui-notification').first().waitFor({ state: 'hidden', timeout: 10000 });
    await page.mouse.move(900, 600);
    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    assert.ok(statSync(SCREENSHOT).size > 20000, 'a real picture');
    assert.equal(readFileSync(SCREENSHOT).subarray(1, 4).toString(), 'PNG');
    assert.deepEqual(errors, []);
    if (!process.env.JPAY_UPDATE_SCREENSHOT) rmSync(SCREENSHOT, { force: true });
  });

  it('stops cleanly on SIGTERM: exit code 0, its ports released', async () => {
    const running = suite.demo;
    const editorPort = Number(new URL(running.editorUrl).port);
    const code = await running.stop('SIGTERM');
    assert.equal(code, 0, running.output());
    assert.match(running.output(), /Stopped\./);
    assert.doesNotMatch(running.output(), /\[error\]/);
    assert.equal(await refused(editorPort), true, 'the editor port is closed');
    assert.equal(await refused(running.simPort), true, 'the simulator port is closed');
    assert.throws(() => process.kill(running.pid, 0), /ESRCH/, 'no process left');
  });
});

/** The parts of the editor's global RED object this test calls. */
declare global {
  interface EditorNode {
    id: string;
    type: string;
    name?: string;
    z?: string;
    valid?: boolean;
  }
  const RED: {
    nodes: {
      getType(type: string): { category: string } | undefined;
      eachNode(cb: (n: EditorNode) => void): void;
      eachConfig(cb: (n: EditorNode) => void): void;
      eachWorkspace(cb: (w: { id: string; label: string }) => void): void;
      dirty(): boolean;
    };
    workspaces: { show(id: string): void; add(): void };
    sidebar: { show(id: string): void; help: { show(type: string): void } };
    actions: { invoke(name: string): void };
  };
}
