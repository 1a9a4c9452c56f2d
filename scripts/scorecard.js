#!/usr/bin/env node
'use strict';
// The Node-RED Flow Library scorecard (the checks of node-red-dev-cli's `validate`:
// P01–P08, N01–N02, D01–D03), run against a package folder: the project root, or an
// unpacked tarball. `--online` adds what needs the npm registry (current Node-RED
// releases, D03's latest versions); P08 and N01 need the flow library's catalogue and are
// only listed. docs/releasing.md says how this package meets each check.
//   node scripts/scorecard.js [packageDir] [--online]
// Exit code 1 when a check fails. A deliberate deviation is reported, not failed.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const semver = require('semver');

const ROOT = path.resolve(__dirname, '..');
/** node-red-dev-cli's badpackages.json: packages known to break Node-RED. */
const BAD_PACKAGES = { 'agent-base': '<6.0.0' };
const MAX_DEPENDENCIES = 6;

function npmJson(args) {
  return JSON.parse(execFileSync('npm', [...args, '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** The Node-RED versions to check against: the ones this project tests, or (online) the registry's current ones. */
function nodeRedReleases(online) {
  if (online) {
    const tags = npmJson(['view', 'node-red', 'dist-tags']);
    const current = Object.entries(tags).filter(([tag]) => tag === 'latest' || tag.includes('maintenance')).map(([, v]) => v);
    const latest = tags.latest;
    return { versions: current, latestEngines: npmJson(['view', `node-red@${latest}`, 'engines']).node };
  }
  const installs = [path.join(ROOT, 'node_modules')];
  if (process.env.JPAY_NODE_RED_PREFIX) installs.push(path.join(process.env.JPAY_NODE_RED_PREFIX, 'node_modules'));
  const pkgs = installs
    .map((dir) => path.join(dir, 'node-red', 'package.json'))
    .filter((file) => fs.existsSync(file))
    .map((file) => JSON.parse(fs.readFileSync(file, 'utf8')));
  pkgs.sort((a, b) => semver.compare(a.version, b.version));
  return { versions: pkgs.map((p) => p.version), latestEngines: pkgs.at(-1)?.engines?.node };
}

/** Each node's editor definition: its category, read from the literal registerType call. */
function nodeCategories(dir, pkg) {
  const out = {};
  for (const [type, file] of Object.entries(pkg['node-red'].nodes)) {
    const html = fs.readFileSync(path.join(dir, file.replace(/\.js$/, '.html')), 'utf8');
    const call = html.indexOf(`registerType('${type}'`) >= 0 ? html.indexOf(`registerType('${type}'`) : html.indexOf(`registerType("${type}"`);
    if (call < 0) throw new Error(`${type}: no literal RED.nodes.registerType('${type}', {…}) in its .html`);
    const category = /category:\s*['"]([^'"]+)['"]/.exec(html.slice(call));
    out[type] = category ? category[1] : undefined;
  }
  return out;
}

function exampleTypes(dir) {
  const types = new Set();
  const walk = (folder) => {
    if (!fs.existsSync(folder)) return;
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      const file = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith('.json')) for (const node of JSON.parse(fs.readFileSync(file, 'utf8'))) types.add(node.type);
    }
  };
  walk(path.join(dir, 'examples'));
  return types;
}

function scorecard(dir, { online }) {
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const checks = [];
  const check = (id, title, result, detail) => checks.push({ id, title, result, detail });
  const pass = (ok) => (ok ? 'pass' : 'fail');

  check('P01', 'license', pass(typeof pkg.license === 'string' && pkg.license !== ''), pkg.license);
  const repoPkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  check('P02', 'package name matches the repository', pass(pkg.name === repoPkg.name && Boolean(pkg.repository?.url)), `${pkg.name} (${pkg.repository?.url})`);
  check('P03', 'repository or bugs', pass(Boolean(pkg.repository || pkg.bugs)), pkg.repository?.url ?? pkg.bugs);
  check('P04', 'scoped name', pass(/^@[a-z\d][\w-.]+\/[a-z\d][\w-.]*$/.test(pkg.name)), pkg.name);
  check('P05', 'node-red keyword', pass(Array.isArray(pkg.keywords) && pkg.keywords.includes('node-red')), '');

  const releases = nodeRedReleases(online);
  const range = pkg['node-red']?.version;
  const compatible = releases.versions.filter((v) => range && semver.satisfies(v, range));
  check('P06', 'node-red.version covers a current Node-RED', pass(compatible.length > 0), `${range}; satisfied by ${compatible.join(', ') || 'none'} of ${releases.versions.join(', ')}`);

  const minNode = releases.latestEngines ? semver.minVersion(releases.latestEngines)?.version : undefined;
  const enginesOk = Boolean(pkg.engines?.node) && minNode !== undefined && semver.satisfies(minNode, pkg.engines.node);
  check(
    'P07',
    'engines.node admits the newest Node-RED\'s minimum Node',
    enginesOk ? 'pass' : pkg.engines?.node ? 'deviation' : 'fail',
    enginesOk
      ? `${pkg.engines.node} admits Node ${minNode}`
      : `${pkg.engines?.node} does not admit Node ${minNode} (Node-RED ${releases.latestEngines}): declared is what is tested; require() of the ES module @noble/curves needs Node 20.19 or 22.12 (docs/releasing.md)`,
  );
  check('P08', 'no similarly named package', 'online-only', 'needs the flow library catalogue: the name is scoped (@jpaykit), see docs/releasing.md');

  const categories = nodeCategories(dir, pkg);
  check('N01', 'unique node type names', 'online-only', `needs the flow library catalogue; every type is prefixed jpay-: ${Object.keys(categories).join(', ')}`);
  const inExamples = exampleTypes(dir);
  const withoutExample = Object.entries(categories)
    .filter(([type, category]) => category !== 'config' && !inExamples.has(type))
    .map(([type]) => type);
  check('N02', 'an example for every non-config node', pass(withoutExample.length === 0), withoutExample.length ? `missing: ${withoutExample.join(', ')}` : `${Object.values(categories).filter((c) => c !== 'config').length} nodes`);

  const deps = Object.keys(pkg.dependencies ?? {});
  check('D01', `at most ${MAX_DEPENDENCIES} dependencies`, pass(deps.length <= MAX_DEPENDENCIES), `${deps.length}: ${deps.join(', ')}`);

  const installed = fs.existsSync(path.join(dir, 'node_modules')) ? dir : ROOT;
  const tree = npmJson(['ls', '--all', '--omit=dev', '--prefix', installed]);
  const bad = [];
  const visit = (node) => {
    for (const [name, child] of Object.entries(node.dependencies ?? {})) {
      if (BAD_PACKAGES[name] && child.version && semver.satisfies(child.version, BAD_PACKAGES[name])) bad.push(`${name}@${child.version}`);
      visit(child);
    }
  };
  visit(tree);
  check('D02', 'no known-bad package in the dependency tree', pass(bad.length === 0), bad.join(', ') || `checked against ${JSON.stringify(BAD_PACKAGES)}`);

  if (online) {
    const stale = deps.filter((name) => {
      const latest = execFileSync('npm', ['view', name, 'version'], { encoding: 'utf8' }).trim();
      return !semver.satisfies(latest, pkg.dependencies[name]);
    });
    check('D03', 'dependencies on their latest versions', pass(stale.length === 0), stale.length ? `behind: ${stale.join(', ')}` : deps.map((d) => `${d} ${pkg.dependencies[d]}`).join(', '));
  } else {
    check('D03', 'dependencies on their latest versions', 'online-only', 'needs the registry: run with --online');
  }
  return checks;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const online = args.includes('--online');
  const dir = path.resolve(args.find((a) => !a.startsWith('--')) ?? ROOT);
  const checks = scorecard(dir, { online });
  const mark = { pass: '✅', fail: '❌', deviation: '⚠️ ', 'online-only': '…' };
  for (const c of checks) console.log(`${mark[c.result]} ${c.id} ${c.title}: ${c.result}${c.detail ? ` (${c.detail})` : ''}`);
  if (checks.some((c) => c.result === 'fail')) process.exitCode = 1;
}

module.exports = { scorecard };
