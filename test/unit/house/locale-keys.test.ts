/**
 * Every message key the nodes use exists in both languages: statuses are sent to the
 * editor as keys (nodes/shared/status.ts) and translated there, so a missing key would show
 * as the raw key. Keys are read from the sources: `'jpay-x.status.y'`, `${NS}.status.y`
 * (NS the file's own namespace) and `${ns}.status.y` in nodes/shared (every node using it);
 * a key with a computed tail (`${NS}.status.armed.${op}`) needs its static part as a section.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const NODES = path.join(ROOT, 'nodes');
const LANGUAGES = ['en-US', 'ru'];
const nodeTypes = readdirSync(NODES).filter((d) => d.startsWith('jpay-') && statSync(path.join(NODES, d)).isDirectory());

type Catalog = Record<string, unknown>;
const catalog = (type: string, language: string): Catalog =>
  JSON.parse(readFileSync(path.join(NODES, type, 'locales', language, `${type}.json`), 'utf8')) as Catalog;

function lookup(root: Catalog, key: string): unknown {
  let at: unknown = root;
  for (const part of key.split('.')) {
    if (typeof at !== 'object' || at === null || !(part in at)) return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}

function leaves(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null) return [prefix];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
}

const sources = (dir: string): string[] =>
  readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => readFileSync(path.join(dir, f), 'utf8'));

/** `RED.auth.needsPermission('jpay-dex.read')`: a permission, not a message. */
const PERMISSIONS = new Set(['read', 'write']);

interface UsedKey {
  key: string;
  /** The key ends with a computed part: its static part must be a section. */
  computed: boolean;
}

/** Keys of `type` used in `code`; `nsVar` is how the code names the namespace (NS, ns). */
function keysIn(code: string, type: string, nsVars: string[]): UsedKey[] {
  const out: UsedKey[] = [];
  const literal = new RegExp(`['"\`]${type}\\.([\\w.-]+?)(\\.?\\$\\{|['"\`])`, 'g');
  for (const m of code.matchAll(literal)) if (!PERMISSIONS.has(m[1]!)) out.push({ key: m[1]!, computed: m[2] !== m[0][0] });
  for (const v of nsVars) {
    const templated = new RegExp(`\`\\$\\{${v}\\}\\.([\\w.-]+?)(\\.?\\$\\{|\`)`, 'g');
    for (const m of code.matchAll(templated)) out.push({ key: m[1]!, computed: m[2] !== '`' });
  }
  return out;
}

/**
 * The keys each nodes/shared helper shows or logs in the namespace of the node calling it.
 * (A test below checks that this lists every `${ns}.…` key written in nodes/shared.)
 */
const SHARED_KEYS: Record<string, string[]> = {
  requireTerminal: ['status.noTerminal', 'errors.no-terminal'],
  connectUser: ['status.noTerminal', 'errors.no-terminal', 'status.unreachable', 'status.error'],
  parseSettings: ['status.badConfig'],
  openReceiptOutbox: ['warn.user-failed', 'log.replay', 'warn.corrupt', 'warn.broker', 'errors.open'],
  askTheFlow: [
    ...['waiting', 'deadline', 'invalid', 'aborted', 'closed'].map((k) => `status.${k}`),
    ...['invalid', 'deadline', 'nothing-pending', 'unknown', 'duplicate', 'late'].map((k) => `warn.${k}`),
  ],
};

describe('locales: every message key the nodes use exists in en-US and ru', () => {
  const shared = sources(path.join(NODES, 'shared')).join('\n');

  it('SHARED_KEYS names every key written in nodes/shared', () => {
    const listed = new Set(Object.values(SHARED_KEYS).flat());
    for (const { key, computed } of keysIn(shared, '', ['ns'])) {
      if (computed) assert.ok([...listed].some((k) => k.startsWith(`${key}.`)), `nodes/shared writes \`\${ns}.${key}.…\`: list its keys in SHARED_KEYS`);
      else assert.ok(listed.has(key), `nodes/shared writes \`\${ns}.${key}\`: add it to SHARED_KEYS`);
    }
  });

  for (const type of nodeTypes) {
    it(`${type}: en-US and ru have the same keys`, () => {
      const [en, ru] = LANGUAGES.map((l) => leaves(catalog(type, l)).sort());
      assert.deepEqual(ru, en);
    });

    it(`${type}: every key its code uses is in both languages`, () => {
      const own = sources(path.join(NODES, type)).join('\n');
      const helpers = Object.keys(SHARED_KEYS).filter((name) => new RegExp(`\\b${name}(<[^>]*>)?\\(`).test(own));
      const used = [...keysIn(own, type, ['NS']), ...helpers.flatMap((name) => SHARED_KEYS[name]!.map((key) => ({ key, computed: false })))];
      assert.ok(used.length > 0, `${type}: no message key found in its code`);
      for (const language of LANGUAGES) {
        const root = catalog(type, language)[type] as Catalog;
        for (const { key, computed } of used) {
          const found = lookup(root, key);
          if (computed) assert.ok(typeof found === 'object' && found !== null, `${language}/${type}.json: no section ${type}.${key}`);
          else assert.equal(typeof found, 'string', `${language}/${type}.json: no message ${type}.${key}`);
        }
      }
    });
  }
});
