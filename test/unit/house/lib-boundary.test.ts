/**
 * lib/ knows nothing of Node-RED: the lint rule of eslint.config.mjs for lib/** refuses
 * imports of node-red and of nodes/, and the flow's ideas (msg._jpay, RED, msg.payload,
 * Catch codes). The same code is allowed under nodes/.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { ESLint } from 'eslint';

const ROOT = path.resolve(__dirname, '../../..');

async function ruleHits(code: string, file: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: ROOT });
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-syntax').map((m) => `${m.ruleId}:${m.line}`);
}

const FORBIDDEN: [string, string][] = [
  ['an import of node-red', "import type { NodeAPI as Api } from 'node-red';\nexport type A = Api;\n"],
  ['an import of @node-red/util', "import { log } from '@node-red/util';\nexport const l = log;\n"],
  ['an import of nodes/', "import { ERROR_CODES } from '../../nodes/shared/errors';\nexport const c = ERROR_CODES;\n"],
  ['msg._jpay', 'export function ref(m: { _jpay?: string }): string | undefined {\n  return m._jpay;\n}\n'],
  ['the RED api', 'declare const RED: { _(key: string): string };\nexport const t = RED._("x");\n'],
  ['msg.payload', 'export function p(msg: { payload: unknown }): unknown {\n  return msg.payload;\n}\n'],
  ['a Catch code', "export const code = 'JPAY_NO_TERMINAL';\n"],
];

describe('lint: lib/ is free of Node-RED (eslint.config.mjs)', function () {
  this.timeout(60_000);

  for (const [what, code] of FORBIDDEN) {
    it(`refuses ${what} in lib/ and allows it in nodes/`, async () => {
      assert.notDeepEqual(await ruleHits(code, 'lib/protocol/boundary-fixture.ts'), [], `${what} passed the lib/ rule`);
      assert.deepEqual(await ruleHits(code, 'nodes/shared/boundary-fixture.ts'), []);
    });
  }

  it('lets ordinary library code through', async () => {
    const code = "import { JpayError } from '../errors';\nexport const e = new JpayError('x');\nexport function describe(message: { text: string }): string {\n  return message.text;\n}\n";
    assert.deepEqual(await ruleHits(code, 'lib/protocol/boundary-fixture.ts'), []);
  });
});
