'use strict';
// Build: compile TypeScript, replace the schema validators with ajv's standalone code
// (scripts/build/validators.js), then copy each node's editor HTML, icons and locales next
// to its compiled .js, where Node-RED looks for them (each plugin's too, plugins/<name>/).
// The output is assembled in a staging
// folder and swapped into dist/ at the end, so a running test never sees a half-built dist.
// `npm pack` and `npm publish` run it (prepack), so the tarball always carries a fresh dist/.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { writeStandaloneValidators } = require('./build/validators');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
const staging = path.join(root, `.dist-${process.pid}`);

function copyTree(from, to) {
  if (fs.existsSync(from)) fs.cpSync(from, to, { recursive: true });
}

fs.rmSync(staging, { recursive: true, force: true });
try {
  execFileSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json'), '--outDir', staging],
    { stdio: 'inherit' },
  );
  writeStandaloneValidators(staging);
  const nodesSrc = path.join(root, 'nodes');
  const nodesOut = path.join(staging, 'nodes');
  fs.mkdirSync(nodesOut, { recursive: true });
  for (const entry of fs.readdirSync(nodesSrc)) {
    if (entry.endsWith('.html')) fs.copyFileSync(path.join(nodesSrc, entry), path.join(nodesOut, entry));
  }
  copyTree(path.join(nodesSrc, 'locales'), path.join(nodesOut, 'locales'));
  copyTree(path.join(root, 'icons'), path.join(nodesOut, 'icons'));
  // Plugins (plugins/<name>/): the editor part and the locales next to the compiled .js.
  const pluginsSrc = path.join(root, 'plugins');
  for (const plugin of fs.existsSync(pluginsSrc) ? fs.readdirSync(pluginsSrc) : []) {
    const from = path.join(pluginsSrc, plugin);
    const to = path.join(staging, 'plugins', plugin);
    for (const entry of fs.readdirSync(from)) {
      if (entry.endsWith('.html')) fs.copyFileSync(path.join(from, entry), path.join(to, entry));
    }
    copyTree(path.join(from, 'locales'), path.join(to, 'locales'));
  }
  for (const bin of ['jpay.js', 'jpay-sim.js']) {
    const file = path.join(staging, 'lib', 'cli', bin);
    if (fs.existsSync(file)) fs.chmodSync(file, 0o755);
  }
  const old = `${dist}.old-${process.pid}`;
  if (fs.existsSync(dist)) fs.renameSync(dist, old);
  fs.renameSync(staging, dist);
  fs.rmSync(old, { recursive: true, force: true });
} catch (error) {
  fs.rmSync(staging, { recursive: true, force: true });
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
