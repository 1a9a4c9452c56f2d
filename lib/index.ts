/**
 * @jpaykit/node-red-jpay — the JPAY protocol library. Nothing here imports Node-RED.
 */
export * from './errors';
export * from './codec';
