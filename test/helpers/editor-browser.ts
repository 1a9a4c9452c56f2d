/**
 * The Node-RED editor in headless Chromium (playwright-core with the system Chromium), for
 * the browser tests: the browser's path and flags, and a page on the editor once the
 * palette is loaded and the deployed flows are drawn.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface EditorPage {
  context: BrowserContext;
  page: Page;
  /** Console errors and page errors of the editor (its own origin; the internet's flow catalogue is out of reach in CI). */
  errors: string[];
}

/** A new context (viewport, browser language) with the editor open and drawn. */
export async function openEditorPage(browser: Browser, editorUrl: string, options: { viewport: { width: number; height: number }; locale?: string }): Promise<EditorPage> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const errors: string[] = [];
  const origin = new URL(editorUrl).origin;
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const url = m.location().url;
    if (url === '' || url.startsWith(origin)) errors.push(`${m.text()} (${url})`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  await page.goto(editorUrl);
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
