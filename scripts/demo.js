#!/usr/bin/env node
'use strict';
// `npm start`: builds the package, then runs the demo (terminal simulator, MQTT broker,
// Node-RED with the examples deployed) until Ctrl-C or SIGTERM. See docs/demo.md.
//   node scripts/demo.js [--no-build] [--reset]
const { spawn } = require('node:child_process');
const path = require('node:path');
const { configFromEnv } = require('./demo/config');
const { checkPorts, startDemo } = require('./demo/start');

/** The Dashboard 2.0 pages of example 03, or how to get them (the dashboard is an optional peer). */
function dashboardLines(demo) {
  if (!demo.dashboard) return ['  Dashboard          not installed: npm install @flowfuse/node-red-dashboard (then npm start)'];
  return [`  Customer display   ${demo.editorUrl}dashboard/parking-exit`, `  Operator page      ${demo.editorUrl}dashboard/parking-operator`];
}

function banner(demo) {
  const mqtt = demo.mqtt.external ? `${demo.mqtt.url} (yours, JPAY_DEMO_MQTT_URL)` : `${demo.mqtt.url} (embedded)`;
  return [
    '',
    'JPAY demo is running',
    `  Node-RED editor    ${demo.editorUrl}`,
    ...dashboardLines(demo),
    `  Terminal simulator ${demo.simulator.host}:${demo.simulator.port} (admin password ${demo.simulator.password}), control API ${demo.controlUrl}`,
    `  MQTT broker        ${mqtt}`,
    `  User directory     ${demo.userDir}${demo.flowsCreated ? ' (example flows deployed)' : ' (your flows kept; npm start -- --reset restores the examples)'}`,
    '',
    'Open the editor and its debug sidebar, then click the button of "Pay 150.00 ₽".',
    'Ctrl-C stops everything.',
    '',
  ].join('\n');
}

/**
 * `npm run build` (scripts/build.js) as a child we can stop: in its own process group, so
 * stopping it also stops the compiler it runs (see stopBuild).
 */
function build(root, state) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'scripts', 'build.js')], { cwd: root, stdio: 'inherit', detached: process.platform !== 'win32' });
    state.build = child;
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      state.build = undefined;
      if (code === 0) resolve();
      else reject(new Error(`the build failed (${signal || `exit code ${code}`})`));
    });
  });
}

function stopBuild(child) {
  try {
    if (process.platform === 'win32') child.kill('SIGTERM');
    else process.kill(-child.pid, 'SIGTERM');
  } catch {
    // Already gone.
  }
}

async function main(argv) {
  const args = new Set(argv);
  const unknown = [...args].filter((a) => a !== '--no-build' && a !== '--reset');
  if (unknown.length > 0) throw new Error(`unknown option ${unknown[0]} (known: --no-build, --reset)`);
  const config = configFromEnv();
  if (args.has('--reset')) config.resetFlows = true;

  // Signals are handled from the start: during the build the build stops; during the
  // start-up everything started so far stops once the start-up settles.
  const state = { build: undefined, demo: undefined, stopping: false };
  const stop = (signal) => {
    if (state.stopping) return;
    state.stopping = true;
    console.log(`\n${signal}: stopping…`);
    if (state.build) stopBuild(state.build);
    if (!state.demo) return; // main() sees `stopping` and ends.
    state.demo.close().then(
      () => {
        console.log('Stopped.');
        process.exit(0);
      },
      (err) => {
        console.error(`Stopping failed: ${err && err.message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  // A taken port is told at once, not after a build of half a minute.
  await checkPorts(config);
  if (!args.has('--no-build')) {
    console.log('Building the package (npm run build)…');
    try {
      await build(config.root, state);
    } catch (err) {
      if (state.stopping) process.exit(0);
      throw err;
    }
  }
  if (state.stopping) process.exit(0);

  let demo;
  try {
    demo = await startDemo(config, (line) => console.log(line));
  } catch (err) {
    if (state.stopping) process.exit(0);
    throw err;
  }
  state.demo = demo;
  if (state.stopping) {
    state.stopping = false;
    stop('stop requested during start-up');
    return;
  }
  console.log(banner(demo));
}

main(process.argv.slice(2)).catch((err) => {
  console.error(`\nThe demo could not start: ${err && err.message ? err.message : err}`);
  process.exit(1);
});
