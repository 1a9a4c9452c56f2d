'use strict';
// The demo's flows: every example of examples/flows/ (one tab each), pointed at the local
// simulator, control API and broker, with the terminal's admin password and the loyalty
// program's key as credentials.
const fs = require('node:fs');
const path = require('node:path');

const DEMO_PASSWORD = '12345678';
/**
 * The key of the demo's loyalty program (layout version 2): a published demo value, for the
 * simulator's cards only — JPAY_DEMO_LOYALTY_KEY replaces it (docs/demo.md).
 */
const DEMO_LOYALTY_KEY = 'de30c0ffeec0ffeec0ffeec0ffee0042';
const CONTROL_URL = /^http:\/\/(?:127\.0\.0\.1|localhost):\d+(\/.*)?$/;

/** The example files, in menu order: [{file, nodes}]. */
function readExamples(root) {
  const dir = path.join(root, 'examples', 'flows');
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const nodes = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
      if (!Array.isArray(nodes)) throw new Error(`examples/flows/${file}: not a JSON array of nodes`);
      return { file, nodes };
    });
}

/**
 * Points the nodes at the demo's services (in place). `ids` (a Set) limits the change to the
 * nodes the demo created, so a user's own nodes in a kept flows file are left alone.
 */
function pointAtDemo(nodes, services, ids) {
  const ours = (n) => ids === undefined || ids.has(n.id);
  for (const n of nodes) {
    if (!ours(n)) continue;
    if (n.type === 'jpay-terminal') {
      n.host = services.simHost;
      n.port = services.simPort;
    } else if (n.type === 'http request' && typeof n.url === 'string' && CONTROL_URL.test(n.url)) {
      n.url = `${services.controlUrl}${CONTROL_URL.exec(n.url)[1] || ''}`;
    } else if (n.type === 'mqtt-broker') {
      n.broker = services.mqttHost;
      n.port = String(services.mqttPort);
    } else if (n.type === 'jpay-mqtt-broker') {
      n.host = services.mqttHost;
      n.port = String(services.mqttPort);
    }
  }
  return nodes;
}

/**
 * Every example's nodes, once each. The examples share their config nodes (one terminal
 * config node, same id in every file: one terminal is one queue); a shared node must be the
 * same in every file, any other id must be unique.
 */
function demoFlows(root, services) {
  const seen = new Map();
  const nodes = [];
  for (const n of readExamples(root).flatMap((e) => e.nodes)) {
    const earlier = seen.get(n.id);
    if (earlier === undefined) {
      seen.set(n.id, JSON.stringify(n));
      nodes.push(n);
    } else if (n.x !== undefined || n.z !== undefined || earlier !== JSON.stringify(n)) {
      throw new Error(`examples/flows: node id ${n.id} is used twice`);
    }
  }
  return pointAtDemo(nodes, services);
}

function credentialsFor(nodes, existing = {}, loyaltyKey = DEMO_LOYALTY_KEY) {
  const creds = { ...existing };
  for (const n of nodes) {
    const own = creds[n.id] || {};
    if (n.type === 'jpay-terminal' && (typeof own.password !== 'string' || own.password === '')) creds[n.id] = { ...own, password: DEMO_PASSWORD };
    if (n.type === 'jpay-loyalty' && (typeof own.key !== 'string' || own.key === '')) creds[n.id] = { ...own, key: loyaltyKey };
  }
  return creds;
}

function readJson(file, fallback) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    if (err.code === 'ENOENT') return fallback;
    throw new Error(`${file}: ${err.message} (delete it, or start with JPAY_DEMO_RESET=1)`, { cause: err });
  }
}

function writeJson(file, value) {
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(value, null, 4) + '\n');
  fs.renameSync(tmp, file);
}

/**
 * Writes <userDir>/flows.json and flows_cred.json (plain: the demo runs with
 * credentialSecret false). A flows file from an earlier start is kept, with the demo's own
 * nodes pointed at this start's ports, unless `reset`. Returns {created, flowFile}.
 */
function prepareFlows({ root, userDir, services, reset, loyaltyKey }) {
  const flowFile = path.join(userDir, 'flows.json');
  const credFile = path.join(userDir, 'flows_cred.json');
  const examples = demoFlows(root, services);
  const kept = reset ? undefined : readJson(flowFile, undefined);
  let nodes;
  if (Array.isArray(kept)) {
    nodes = pointAtDemo(kept, services, new Set(examples.map((n) => n.id)));
  } else {
    nodes = examples;
  }
  writeJson(flowFile, nodes);
  writeJson(credFile, credentialsFor(nodes, reset ? {} : readJson(credFile, {}), loyaltyKey));
  return { created: !Array.isArray(kept), flowFile };
}

module.exports = { DEMO_PASSWORD, DEMO_LOYALTY_KEY, readExamples, pointAtDemo, demoFlows, credentialsFor, prepareFlows };
