'use strict';
// Starts the demo: simulator, MQTT broker (unless an external one is configured), Node-RED
// with the example flows. Returns a handle whose close() stops everything, in reverse order.
const fs = require('node:fs');
const path = require('node:path');
const { startBroker } = require('./broker');
const { DEMO_PASSWORD, prepareFlows } = require('./flows');
const { installPackage, startNodeRed } = require('./node-red');
const { assertPortsFree, explainListenError } = require('./ports');

/** The simulator as the demo runs it: quick card, SBP (QR) and dex on. */
function simulatorOptions(config, logger) {
  return {
    host: config.host === '0.0.0.0' ? '0.0.0.0' : '127.0.0.1',
    port: config.simPort,
    activatorPort: config.activatorPort,
    controlPort: config.controlPort,
    terminal: { password: DEMO_PASSWORD, language: 'enru' },
    timing: { cardDelayMs: 800, hostDelayMs: 300 },
    sbp: { enabled: true, payDelayMs: 5000 },
    dex: { enabled: true },
    mifare: { enabled: true },
    logger,
  };
}

function portList(config) {
  const sim = simulatorOptions(config).host;
  const list = [
    { what: 'Node-RED editor', host: config.host, port: config.editorPort, env: 'JPAY_DEMO_PORT' },
    { what: 'terminal simulator', host: sim, port: config.simPort, env: 'JPAY_DEMO_SIM_PORT' },
    { what: 'simulator activator', host: sim, port: config.activatorPort, env: 'JPAY_DEMO_ACTIVATOR_PORT' },
    { what: 'simulator control API', host: '127.0.0.1', port: config.controlPort, env: 'JPAY_DEMO_CONTROL_PORT' },
  ];
  if (!config.mqttUrl) list.push({ what: 'MQTT broker', host: '127.0.0.1', port: config.mqttPort, env: 'JPAY_DEMO_MQTT_PORT (or JPAY_DEMO_MQTT_URL for your own broker)' });
  return list;
}

/** Rejects with a PortInUseError naming the port and its variable when one is taken. */
function checkPorts(config) {
  return assertPortsFree(portList(config));
}

function assertBuilt(root) {
  const missing = ['dist/lib/simulator/index.js', 'dist/nodes/jpay-terminal/jpay-terminal.js'].filter((f) => !fs.existsSync(path.join(root, f)));
  if (missing.length > 0) throw new Error(`${missing.join(', ')} missing: run \`npm run build\` first (npm start does)`);
}

/**
 * config: from configFromEnv(). log(line): where the demo's own lines go.
 * Resolves with {editorUrl, simulator, controlUrl, mqttUrl, flowsCreated, close()}.
 */
async function startDemo(config, log = () => undefined) {
  const ports = portList(config);
  await assertPortsFree(ports);
  assertBuilt(config.root);
  const { startSimulator } = require(path.join(config.root, 'dist', 'lib', 'simulator'));

  const closers = [];
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) {
      await close().catch((err) => log(`while stopping: ${err && err.message}`));
    }
  };
  try {
    const simLogger = config.quietSimulator ? undefined : (line) => log(`[jpay-sim] ${line}`);
    let sim;
    try {
      sim = await startSimulator(simulatorOptions(config, simLogger));
    } catch (err) {
      throw explainListenError(err, ports.find((p) => p.port === err.port) || ports[1]);
    }
    closers.push(() => sim.close());

    let mqtt;
    if (config.mqttUrl) {
      mqtt = { ...config.mqttUrl, external: true };
    } else {
      try {
        const broker = await startBroker('127.0.0.1', config.mqttPort);
        closers.push(() => broker.close());
        mqtt = { ...broker, external: false };
      } catch (err) {
        throw explainListenError(err, ports[4]);
      }
    }

    fs.mkdirSync(config.userDir, { recursive: true });
    installPackage(config.userDir, config.root);
    const flows = prepareFlows({
      root: config.root,
      userDir: config.userDir,
      reset: config.resetFlows,
      ...(config.loyaltyKey ? { loyaltyKey: config.loyaltyKey } : {}),
      services: { simHost: '127.0.0.1', simPort: sim.port, controlUrl: sim.controlUrl, mqttHost: mqtt.host, mqttPort: mqtt.port },
    });

    let red;
    try {
      red = await startNodeRed({ host: config.host, port: config.editorPort, userDir: config.userDir, logLevel: config.logLevel });
    } catch (err) {
      throw explainListenError(err, ports[0]);
    }
    closers.push(() => red.close());

    let closing;
    return {
      editorUrl: red.url,
      editorPort: red.port,
      simulator: { host: sim.host, port: sim.port, activatorPort: sim.activatorPort, password: DEMO_PASSWORD },
      controlUrl: sim.controlUrl,
      mqtt: { url: mqtt.url, external: mqtt.external },
      userDir: config.userDir,
      flowsCreated: flows.created,
      dashboard: dashboardInstalled(config.root),
      close() {
        closing ??= closeAll();
        return closing;
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/**
 * Whether Dashboard 2.0 is installed beside the project's Node-RED (npm install brings it as
 * a devDependency; Node-RED loads it from there): example 03's pages need it.
 */
function dashboardInstalled(root) {
  try {
    require.resolve('@flowfuse/node-red-dashboard/package.json', { paths: [root] });
    return true;
  } catch {
    return false;
  }
}

module.exports = { startDemo, simulatorOptions, checkPorts };
