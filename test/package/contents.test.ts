/**
 * The tarball carries everything package.json names, and nothing a user does not need.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { packTarball, PKG, ROOT, type Packed } from './tarball';

/** Every file package.json points at: main, types, bins, exports, typesVersions, nodes, plugins. */
export function namedFiles(): string[] {
  const named = new Set<string>([PKG.main, PKG.types, ...Object.values(PKG.bin)]);
  for (const target of Object.values(PKG.exports)) {
    for (const file of typeof target === 'string' ? [target] : Object.values(target)) named.add(file);
  }
  for (const paths of Object.values(PKG.typesVersions['*'])) for (const file of paths) named.add(file);
  for (const file of Object.values(PKG['node-red'].nodes)) {
    named.add(file);
    named.add(file.replace(/\.js$/, '.html'));
  }
  for (const file of Object.values(PKG['node-red'].plugins ?? {})) {
    named.add(file);
    named.add(file.replace(/\.js$/, '.html'));
  }
  return [...named].map((file) => path.posix.normalize(file));
}

/** What each node's editor file refers to: its icon, and its help and messages per language; each plugin's messages. */
function nodeAssets(): string[] {
  const out: string[] = [];
  for (const [type, file] of Object.entries(PKG['node-red'].nodes)) {
    const dir = path.posix.dirname(file);
    const languages = readdirSync(path.join(ROOT, 'nodes', type, 'locales'));
    const html = readFileSync(path.join(ROOT, 'nodes', type, `${type}.html`), 'utf8');
    const icon = /icon:\s*['"]([^'"]+)['"]/.exec(html)?.[1];
    assert.ok(icon, `${type}.html names no icon`);
    out.push(`${dir}/icons/${icon}`);
    for (const language of languages) out.push(`${dir}/locales/${language}/${type}.json`, `${dir}/locales/${language}/${type}.html`);
  }
  for (const [name, file] of Object.entries(PKG['node-red'].plugins ?? {})) {
    const dir = path.posix.dirname(file);
    for (const language of readdirSync(path.join(ROOT, 'plugins', name, 'locales'))) out.push(`${dir}/locales/${language}/${name}.json`);
  }
  return out;
}

const exampleFiles = (): string[] => readdirSync(path.join(ROOT, 'examples', 'flows')).map((f) => `examples/flows/${f}`);

describe('package: the tarball (npm pack)', function () {
  this.timeout(120_000);
  let packed: Packed;

  before(() => {
    packed = packTarball();
  });
  after(() => packed?.cleanup());

  it('is built by npm pack itself: prepack runs the build', () => {
    assert.match(PKG.scripts.prepack ?? '', /\bnpm run build\b/);
  });

  it('contains every file package.json names, each node\'s icon and locales, the examples', () => {
    const have = new Set(packed.files);
    const wanted = [...namedFiles(), ...nodeAssets(), ...exampleFiles(), 'README.md', 'LICENSE', 'CHANGELOG.md', 'package.json', 'docs/protocol.md'];
    const missing = wanted.filter((file) => !have.has(file));
    assert.deepEqual(missing, [], 'files named by the package but missing from the tarball');
  });

  it('every relative require() of a shipped module resolves inside the tarball', () => {
    const have = new Set(packed.files);
    const unresolved: string[] = [];
    for (const file of packed.files.filter((f) => f.endsWith('.js'))) {
      const source = readFileSync(path.join(packed.unpacked, file), 'utf8');
      for (const [, request] of source.matchAll(/require\(["'](\.{1,2}\/[^"']+)["']\)/g)) {
        const base = path.posix.normalize(path.posix.join(path.posix.dirname(file), request));
        if (![base, `${base}.js`, `${base}.json`, `${base}/index.js`].some((candidate) => have.has(candidate))) unresolved.push(`${file} → ${request}`);
      }
    }
    assert.deepEqual(unresolved, []);
  });

  it('README and docs import only the documented paths (package.json exports)', () => {
    const documented = new Set(Object.keys(PKG.exports).filter((key) => key !== './package.json').map((key) => (key === '.' ? PKG.name : `${PKG.name}/${key.slice(2)}`)));
    const texts = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
    const undocumented: string[] = [];
    for (const file of texts) {
      const text = readFileSync(path.join(ROOT, file), 'utf8');
      for (const [, id] of text.matchAll(/(?:from\s+|require\(\s*)['"](@jpaykit\/node-red-jpay[^'"]*)['"]/g)) if (!documented.has(id)) undocumented.push(`${file}: ${id}`);
    }
    assert.deepEqual(undocumented, []);
  });

  it('passes the flow library scorecard checks that can run offline (scripts/scorecard.js, docs/releasing.md)', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { scorecard } = require('../../scripts/scorecard.js') as { scorecard: (dir: string, o: { online: boolean }) => { id: string; result: string; detail?: string }[] };
    const checks = scorecard(packed.unpacked, { online: false });
    assert.deepEqual(
      checks.map((c) => c.id),
      ['P01', 'P02', 'P03', 'P04', 'P05', 'P06', 'P07', 'P08', 'N01', 'N02', 'D01', 'D02', 'D03'],
    );
    assert.deepEqual(checks.filter((c) => c.result === 'fail'), []);
    // The one deliberate deviation (docs/releasing.md): engines says what is tested.
    assert.deepEqual(checks.filter((c) => c.result === 'deviation').map((c) => c.id), ['P07']);
  });

  it('carries nothing useless: no source maps, no TypeScript sources, no tests or tooling', () => {
    const useless = packed.files.filter(
      (file) =>
        file.endsWith('.map') ||
        (file.endsWith('.ts') && !file.endsWith('.d.ts')) ||
        (/^dist\/(nodes|plugins)\//.test(file) && file.endsWith('.d.ts')) ||
        /^(lib|nodes|plugins|test|bench|scripts|\.ci)\//.test(file) ||
        /(^|\/)(tsconfig[^/]*\.json|eslint\.config\.mjs|\.mocharc\.cjs)$/.test(file),
    );
    assert.deepEqual(useless, []);
  });
});
