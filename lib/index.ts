/**
 * @jpaykit/node-red-jpay — the JPAY protocol library. Nothing here imports Node-RED.
 */
export * from './errors';
export * from './codec';
export * from './protocol';
export * from './client';
export { startSimulator } from './simulator';
export type { SimulatorHandle, SimulatorOptions } from './simulator';
export * from './recovery';
export * from './publish';
