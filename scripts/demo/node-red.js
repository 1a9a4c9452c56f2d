'use strict';
// Node-RED 4, embedded: its own HTTP server, the user directory of the demo with this
// package installed in it (a link to the project, so Node-RED loads it through the
// package.json "node-red" section and lists its examples under Import > Examples).
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const PACKAGE = '@jpaykit/node-red-jpay';

/** <userDir>/node_modules/@jpaykit/node-red-jpay → the project root; a package.json naming it. */
function installPackage(userDir, root) {
  const link = path.join(userDir, 'node_modules', ...PACKAGE.split('/'));
  fs.mkdirSync(path.dirname(link), { recursive: true });
  let current;
  try {
    current = fs.readlinkSync(link);
  } catch {
    current = undefined;
  }
  if (current === undefined || path.resolve(path.dirname(link), current) !== root) {
    fs.rmSync(link, { recursive: true, force: true });
    fs.symlinkSync(root, link, 'junction');
  }
  const pkgFile = path.join(userDir, 'package.json');
  const pkg = fs.existsSync(pkgFile) ? JSON.parse(fs.readFileSync(pkgFile, 'utf8')) : { name: 'node-red-jpay-demo', description: 'Node-RED user directory of the JPAY demo (npm start)', version: '0.0.0', private: true };
  pkg.dependencies = { ...pkg.dependencies, [PACKAGE]: `file:${path.relative(userDir, root).split(path.sep).join('/') || '.'}` };
  fs.writeFileSync(pkgFile, JSON.stringify(pkg, null, 4) + '\n');
}

function settingsFor({ userDir, logLevel }) {
  return {
    userDir,
    flowFile: 'flows.json',
    // Plain flows_cred.json: the demo writes the terminal's password there itself.
    credentialSecret: false,
    httpAdminRoot: '/',
    httpNodeRoot: '/',
    functionExternalModules: false,
    telemetry: { enabled: false, updateNotification: false },
    diagnostics: { enabled: true, ui: true },
    logging: { console: { level: logLevel, metrics: false, audit: false } },
    editorTheme: {
      page: { title: 'Node-RED · JPAY demo' },
      header: { title: 'Node-RED · JPAY demo' },
      tours: false,
    },
  };
}

function loadExpress() {
  // Node-RED's own express, whatever the hoisting of node_modules.
  return require(require.resolve('express', { paths: [path.dirname(require.resolve('node-red/package.json'))] }));
}

/** Resolves once the flows run; `listen` errors reject. Returns {port, url, close()}. */
async function startNodeRed({ host, port, userDir, logLevel }) {
  const RED = require('node-red');
  const express = loadExpress();
  const app = express();
  const server = http.createServer(app);
  const settings = settingsFor({ userDir, logLevel });
  RED.init(server, settings);
  app.use(settings.httpAdminRoot, RED.httpAdmin);
  app.use(settings.httpNodeRoot, RED.httpNode);

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actual = server.address().port;
  const flowsStarted = new Promise((resolve) => RED.events.once('flows:started', resolve));
  try {
    await RED.start();
    await Promise.race([flowsStarted, new Promise((resolve) => setTimeout(resolve, 30000).unref())]);
  } catch (err) {
    await closeServer(server);
    throw err;
  }
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  let closing;
  return {
    port: actual,
    url: `http://${shownHost}:${actual}/`,
    close() {
      closing ??= RED.stop()
        .catch(() => undefined)
        .then(() => closeServer(server));
      return closing;
    },
  };
}

function closeServer(server) {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // The editor's websocket and keep-alive connections would hold close() open.
    server.closeAllConnections();
  });
}

module.exports = { installPackage, settingsFor, startNodeRed, PACKAGE };
