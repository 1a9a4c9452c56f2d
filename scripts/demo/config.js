'use strict';
// The demo's settings: defaults, overridden by environment variables (docs/demo.md).
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');

/** Environment variables → options; a bad value throws with the variable's name. */
function configFromEnv(env = process.env) {
  const port = (name, fallback) => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name}=${raw}: must be a port number (0-65535; 0 = any free port)`);
    return n;
  };
  const loyaltyKey = env.JPAY_DEMO_LOYALTY_KEY && env.JPAY_DEMO_LOYALTY_KEY.trim() !== '' ? env.JPAY_DEMO_LOYALTY_KEY.trim() : undefined;
  if (loyaltyKey !== undefined && !/^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{64})$/.test(loyaltyKey)) {
    throw new Error('JPAY_DEMO_LOYALTY_KEY: must be 32 or 64 hex digits (the loyalty program key)');
  }
  const mqttUrl = env.JPAY_DEMO_MQTT_URL && env.JPAY_DEMO_MQTT_URL.trim() !== '' ? env.JPAY_DEMO_MQTT_URL.trim() : undefined;
  return {
    root: ROOT,
    host: env.JPAY_DEMO_HOST || '127.0.0.1',
    editorPort: port('JPAY_DEMO_PORT', 1880),
    simPort: port('JPAY_DEMO_SIM_PORT', 4433),
    activatorPort: port('JPAY_DEMO_ACTIVATOR_PORT', 4434),
    controlPort: port('JPAY_DEMO_CONTROL_PORT', 4435),
    mqttPort: port('JPAY_DEMO_MQTT_PORT', 1883),
    mqttUrl: mqttUrl === undefined ? undefined : parseMqttUrl(mqttUrl),
    userDir: path.resolve(ROOT, env.JPAY_DEMO_USER_DIR || '.node-red'),
    resetFlows: env.JPAY_DEMO_RESET === '1' || env.JPAY_DEMO_RESET === 'true',
    logLevel: env.JPAY_DEMO_LOG_LEVEL || 'info',
    quietSimulator: env.JPAY_DEMO_QUIET === '1' || env.JPAY_DEMO_QUIET === 'true',
    loyaltyKey,
  };
}

/** mqtt://host:port → {url, host, port} (the host and port go into the mqtt-broker node). */
function parseMqttUrl(text) {
  const { URL } = require('node:url');
  let url;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`JPAY_DEMO_MQTT_URL=${text}: not a URL (mqtt://host:1883)`);
  }
  if (url.protocol !== 'mqtt:' && url.protocol !== 'tcp:') throw new Error(`JPAY_DEMO_MQTT_URL=${text}: only mqtt://host:port is supported`);
  return { url: text, host: url.hostname, port: url.port === '' ? 1883 : Number(url.port) };
}

module.exports = { ROOT, configFromEnv, parseMqttUrl };
