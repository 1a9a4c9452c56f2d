/**
 * A page of the Node-RED editor of a running demo (test/helpers/node-red-demo.ts) in
 * headless Chromium, once the palette is loaded and the deployed flows are drawn, with the
 * console and page errors of the editor's own origin collected (the internet's flow
 * catalogue is out of reach in CI).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium';
import { startDemoProcess, type DemoProcess } from './node-red-demo';

export interface EditorPage {
  context: BrowserContext;
  page: Page;
  errors: string[];
}

export async function openEditorPage(browser: Browser, demo: DemoProcess, options: { viewport?: { width: number; height: number }; language?: string; locale?: string } = {}): Promise<EditorPage> {
  // `locale`: the browser's language (the editor follows it); `language`: the editor's own setting.
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1600, height: 900 }, ...(options.locale ? { locale: options.locale } : {}) });
  const page = await context.newPage();
  const errors: string[] = [];
  const origin = new URL(demo.editorUrl).origin;
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const url = m.location().url;
    if (url === '' || url.startsWith(origin)) errors.push(`${m.text()} (${url})`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  if (options.language) await page.addInitScript((l) => localStorage.setItem('editor-language', l), options.language);
  await page.goto(demo.editorUrl);
  await page.waitForFunction(
    () => {
      const red = (window as unknown as { RED?: { nodes?: { getType?: (t: string) => unknown } } }).RED;
      return !!red?.nodes?.getType?.('jpay-transaction') && !!document.querySelector('#red-ui-workspace-chart .red-ui-flow-node');
    },
    null,
    { timeout: 30000 },
  );
  return { context, page, errors };
}

export interface DemoInChromium {
  /** The running demo (started before the suite's first test). */
  readonly demo: DemoProcess;
  readonly browser: Browser;
  /** The editor in a new browser context, closed after the test. */
  openEditor(options?: Parameters<typeof openEditorPage>[2]): Promise<EditorPage>;
  /** A new browser context, closed after the test. */
  newContext(options?: Parameters<Browser['newContext']>[0]): Promise<BrowserContext>;
}

/**
 * The suite's `npm start` demo and headless Chromium: registers the mocha hooks that start
 * both before the suite, close the test's browser contexts after each test, and stop both
 * after the suite.
 */
export function demoInChromium(): DemoInChromium {
  let demo: DemoProcess | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is not started`);
    return value;
  };

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install the Debian package chromium (.ci/run does)`);
    demo = await startDemoProcess();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
  });

  after(async () => {
    await browser?.close();
    await demo?.stop('SIGKILL');
  });

  return {
    get demo() {
      return started(demo, 'the demo');
    },
    get browser() {
      return started(browser, 'Chromium');
    },
    async openEditor(options) {
      const opened = await openEditorPage(started(browser, 'Chromium'), started(demo, 'the demo'), options);
      contexts.push(opened.context);
      return opened;
    },
    async newContext(options) {
      const context = await started(browser, 'Chromium').newContext(options);
      contexts.push(context);
      return context;
    },
  };
}
