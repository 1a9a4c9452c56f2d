/**
 * A page of the Node-RED editor of a running demo (test/helpers/node-red-demo.ts) in
 * headless Chromium, once the palette is loaded and the deployed flows are drawn, with the
 * console and page errors of the editor's own origin collected (the internet's flow
 * catalogue is out of reach in CI).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { DemoProcess } from './node-red-demo';

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
