/**
 * The operator UI in headless Chromium against the `npm start` demo: the editor's "JPAY
 * terminals" sidebar (plugins/jpay-sidebar) follows a terminal going busy and back during a
 * payment, and a test purchase asks a confirmation naming the amount and the terminal. The
 * pictures the README shows are written to docs/images/ with JPAY_UPDATE_SCREENSHOT=1.
 * Every wait is on something the page shows, never a sleep.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { demoInChromium } from '../helpers/editor-page';

const ROOT = path.resolve(__dirname, '../..');

function screenshotPath(name: string): string {
  return process.env.JPAY_UPDATE_SCREENSHOT ? path.join(ROOT, 'docs', 'images', name) : path.join(os.tmpdir(), `jpay-${process.pid}-${name}`);
}

function checkPicture(file: string): void {
  assert.ok(statSync(file).size > 10000, 'a real picture');
  assert.equal(readFileSync(file).subarray(1, 4).toString(), 'PNG');
  if (!process.env.JPAY_UPDATE_SCREENSHOT) rmSync(file, { force: true });
}

describe('operator UI: the JPAY terminals sidebar (headless Chromium, the npm start demo)', function () {
  this.timeout(120000);
  const suite = demoInChromium();
  let context: BrowserContext | undefined;
  let page: Page;
  /** Console errors and page errors of the editor (its own origin). */
  let errors: string[];

  async function openEditor(language?: string): Promise<void> {
    ({ context, page, errors } = await suite.openEditor(language ? { language } : {}));
  }

  /** The id of the node named `name`, its tab, and the jpay-terminal of its tab's jpay-transaction. */
  async function injectAndTerminal(name: string): Promise<{ inject: string; terminal: string; tab: string }> {
    const found = await page.evaluate((n) => {
      const red = (window as unknown as { RED: EditorRed }).RED;
      let inject: EditorNodeInfo | undefined;
      red.nodes.eachNode((node) => {
        if (node.name === n) inject = node;
      });
      if (!inject) return undefined;
      const z = inject.z;
      let terminal: string | undefined;
      red.nodes.eachNode((node) => {
        if (node.type === 'jpay-transaction' && node.z === z) terminal ??= node.terminal;
      });
      return { inject: inject.id, terminal, tab: z };
    }, name);
    assert.ok(found?.terminal, `no inject ${name} wired to a jpay-transaction`);
    return found as { inject: string; terminal: string; tab: string };
  }

  it('shows every running jpay-terminal, and one going busy and back, with its receipt, during a payment', async () => {
    await openEditor();
    const { inject, terminal, tab } = await injectAndTerminal('Pay 150.00 ₽');
    await page.evaluate((id) => (window as unknown as { RED: EditorRed }).RED.workspaces.show(id), tab);
    await page.evaluate(() => (window as unknown as { RED: EditorRed }).RED.sidebar.show('jpay-terminals'));
    const card = page.locator(`.jpay-term[data-terminal="${terminal}"]`);
    await card.waitFor({ state: 'visible', timeout: 15000 });
    const listed = await page.locator('.jpay-term[data-terminal]').count();
    const configured = await page.evaluate(() => {
      let n = 0;
      (window as unknown as { RED: EditorRed }).RED.nodes.eachConfig((c) => {
        if (c.type === 'jpay-terminal') n++;
      });
      return n;
    });
    assert.equal(listed, configured, 'one entry per running jpay-terminal');
    await card.locator('.jpay-badge[data-state="online"]').waitFor();

    await page.locator(`[id="${inject}"] .red-ui-flow-node-button`).click();
    await page.locator(`.jpay-term[data-terminal="${terminal}"][data-state="busy"]`).waitFor({ timeout: 15000 });
    await page.locator(`.jpay-term[data-terminal="${terminal}"][data-state="online"] .jpay-receipts td`).first().waitFor({ timeout: 15000 });
    const text = (await card.innerText()).replace(/\s+/g, ' ');
    assert.match(text, /150\.00 ₽/);
    assert.match(text, /approved/);
    assert.doesNotMatch(text, /\d{13,19}/, 'no full PAN');
    assert.deepEqual(errors, []);
  });

  it('a test purchase asks a confirmation naming the amount and the terminal, then pays (en-US); the ru sidebar speaks Russian', async () => {
    await openEditor();
    const { terminal } = await injectAndTerminal('Pay 150.00 ₽');
    await page.evaluate(() => (window as unknown as { RED: EditorRed }).RED.sidebar.show('jpay-terminals'));
    const card = page.locator(`.jpay-term[data-terminal="${terminal}"]`);
    await card.locator('.jpay-badge[data-state="online"]').waitFor({ timeout: 15000 });
    const label = await card.locator('.jpay-term-label').innerText();
    await card.locator('.jpay-amount').fill('2.50');
    await card.locator('.jpay-test-purchase').click();
    const dialog = page.locator('.red-ui-notification').filter({ hasText: '2.50' });
    await dialog.waitFor({ timeout: 10000 });
    const question = await dialog.innerText();
    assert.match(question, new RegExp(`2\\.50[\\s\\S]*${label}`));
    await dialog.locator('.jpay-confirm-pay').click();
    await card.locator('.jpay-term-result').filter({ hasText: /approved · 2\.50/ }).waitFor({ timeout: 20000 });
    await page.locator('.red-ui-notification').first().waitFor({ state: 'hidden', timeout: 10000 }).catch(() => undefined);
    await page.mouse.move(10, 10);
    await card.scrollIntoViewIfNeeded();
    const picture = screenshotPath('operator-sidebar.png');
    mkdirSync(path.dirname(picture), { recursive: true });
    await page.screenshot({ path: picture });
    checkPicture(picture);
    assert.deepEqual(errors, []);

    await context?.close();
    await openEditor('ru');
    await page.evaluate(() => (window as unknown as { RED: EditorRed }).RED.sidebar.show('jpay-terminals'));
    const ru = page.locator(`.jpay-term[data-terminal="${terminal}"]`);
    await ru.locator('.jpay-test-purchase').filter({ hasText: 'Тестовая оплата' }).waitFor({ timeout: 15000 });
    assert.match(await ru.innerText(), /Последние чеки/);
    assert.deepEqual(errors, []);
  });

  it('the customer display (Dashboard 2.0) shows the fee and the SBP QR code, then "approved" with the amount; the operator page the takings and the receipt', async () => {
    const running = suite.demo;
    context = await suite.newContext({ viewport: { width: 1000, height: 760 } });
    page = await context.newPage();
    errors = [];
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    await page.goto(`${running.editorUrl}dashboard/parking-exit`);
    const display = page.locator('.jpay-customer');
    await display.waitFor({ timeout: 30000 });
    await page.getByRole('button', { name: 'English' }).click();

    const flows = (await (await fetch(`${running.editorUrl}flows`)).json()) as { id: string; type: string; name?: string }[];
    const car = flows.find((n) => n.type === 'inject' && n.name === 'Car at the exit: 200.00 ₽');
    assert.ok(car, 'the parking example is deployed');
    const injected = await fetch(`${running.editorUrl}inject/${car.id}`, { method: 'POST' });
    assert.equal(injected.status, 200);

    await page.locator('.jpay-customer[data-stage="pay"] img.jpay-qr').waitFor({ timeout: 20000 });
    assert.match(await display.innerText(), /200\.00 ₽[\s\S]*Scan the QR code/);
    assert.doesNotMatch(await display.innerText(), /good trip/i, 'no "Have a good trip" before the payment');
    const qrPicture = screenshotPath('customer-display.png');
    mkdirSync(path.dirname(qrPicture), { recursive: true });
    await page.screenshot({ path: qrPicture });
    checkPicture(qrPicture);

    await page.locator('.jpay-customer[data-stage="approved"]').waitFor({ timeout: 30000 });
    const approved = await display.innerText();
    assert.match(approved, /200\.00 ₽/);
    assert.match(approved, /Paid\. Have a good trip!/);
    assert.equal(await page.locator('img.jpay-qr').count(), 0, 'the QR code is gone');
    await page.getByRole('button', { name: 'Русский' }).click();
    await display.getByText('Оплачено. Счастливого пути!').waitFor();

    await page.setViewportSize({ width: 1400, height: 720 });
    await page.goto(`${running.editorUrl}dashboard/parking-operator`);
    await page.getByText('200.00 ₽').first().waitFor({ timeout: 30000 });
    await page.locator('canvas').first().waitFor();
    await page.getByRole('button', { name: 'X-report' }).click();
    await page.getByText(/X-report: \d+ operations, \d+\.\d\d ₽/).waitFor({ timeout: 20000 });
    const operatorPicture = screenshotPath('operator-page.png');
    await page.screenshot({ path: operatorPicture });
    checkPicture(operatorPicture);
    assert.deepEqual(errors, []);
  });
});


/** What this test reads of the editor's nodes. */
interface EditorNodeInfo {
  id: string;
  type: string;
  name?: string;
  z: string;
  terminal?: string;
}

/** The parts of the editor's global RED object this test calls. */
interface EditorRed {
  nodes: {
    eachNode(cb: (n: EditorNodeInfo) => void): void;
    eachConfig(cb: (n: EditorNodeInfo) => void): void;
  };
  workspaces: { show(id: string): void };
  sidebar: { show(id: string): void };
}
