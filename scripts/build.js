'use strict';
// Build: compile TypeScript, replace the schema validators with ajv's standalone code
// (scripts/build/validators.js), then copy each node's editor HTML, icons and locales next
// to its compiled .js, where Node-RED looks for them (each plugin's too, plugins/<name>/).
// The output is assembled in a staging folder and swapped into dist/ at the end, so a
// running test never sees a half-built dist.
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
  // Each node lives in nodes/<name>/ and each editor plugin in plugins/<name>/: <name>.ts
  // (compiled by tsc), <name>.html, icons/, locales/.
  for (const kind of ['nodes', 'plugins']) {
    const src = path.join(root, kind);
    if (!fs.existsSync(src)) continue;
    for (const entry of fs.readdirSync(src, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const from = path.join(src, entry.name);
      const to = path.join(staging, kind, entry.name);
      fs.mkdirSync(to, { recursive: true });
      for (const file of fs.readdirSync(from)) {
        if (file.endsWith('.html')) fs.copyFileSync(path.join(from, file), path.join(to, file));
      }
      copyTree(path.join(from, 'locales'), path.join(to, 'locales'));
      copyTree(path.join(from, 'icons'), path.join(to, 'icons'));
    }
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
