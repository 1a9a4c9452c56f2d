/**
 * The one Node-RED every test runs on. By default the project's own (devDependencies:
 * Node-RED 4.1). With JPAY_NODE_RED_PREFIX set to a folder whose node_modules holds
 * node-red and node-red-node-test-helper (.ci/run installs Node-RED 5 there, for the run on
 * Node 22), that one: the test helper, the runtime, its core nodes and its binary all come
 * from it, so no test mixes two versions.
 */
import path from 'node:path';
import type TestHelper from 'node-red-node-test-helper';

const prefix = process.env.JPAY_NODE_RED_PREFIX;
const searchFrom = [prefix ? path.resolve(prefix) : __dirname];

/** require.resolve() of a module of the Node-RED in use (`node-red/red.js`, `@node-red/nodes/package.json`). */
export function resolveNodeRed(request: string): string {
  return require.resolve(request, { paths: searchFrom });
}

// node-red-node-test-helper finds the runtime installed beside it; init() says it explicitly.
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const helper = require(resolveNodeRed('node-red-node-test-helper')) as typeof TestHelper;
helper.init(resolveNodeRed('node-red'));

/** The folder of @node-red/nodes' core node modules. */
export const CORE_NODES_DIR = path.join(path.dirname(resolveNodeRed('@node-red/nodes/package.json')), 'core');

/** The version of the Node-RED in use (its package.json). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const NODE_RED_VERSION = (require(resolveNodeRed('node-red/package.json')) as { version: string }).version;

/**
 * A spawned Node-RED (red.js) is ready once it logged both "Started flows" and "Server now
 * running at": its HTTP server listens only after the runtime started, so the flows line
 * alone can come before the port takes connections (ECONNREFUSED).
 */
export const NODE_RED_READY = /^(?=[\s\S]*Started flows)(?=[\s\S]*Server now running at)/;
