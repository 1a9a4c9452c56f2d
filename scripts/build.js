'use strict';
// Build: compile TypeScript to dist/, then copy each node's editor HTML, icons and
// locales next to its compiled .js, where Node-RED looks for them.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');

fs.rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json')], {
  stdio: 'inherit',
});

function copyTree(from, to) {
  if (!fs.existsSync(from)) return;
  fs.cpSync(from, to, { recursive: true });
}

const nodesSrc = path.join(root, 'nodes');
const nodesOut = path.join(dist, 'nodes');
if (fs.existsSync(nodesSrc)) {
  fs.mkdirSync(nodesOut, { recursive: true });
  for (const entry of fs.readdirSync(nodesSrc)) {
    if (entry.endsWith('.html')) fs.copyFileSync(path.join(nodesSrc, entry), path.join(nodesOut, entry));
  }
  copyTree(path.join(nodesSrc, 'locales'), path.join(nodesOut, 'locales'));
}
copyTree(path.join(root, 'icons'), path.join(nodesOut, 'icons'));
for (const bin of ['jpay.js', 'jpay-sim.js']) {
  const file = path.join(dist, 'lib', 'cli', bin);
  if (fs.existsSync(file)) fs.chmodSync(file, 0o755);
}
