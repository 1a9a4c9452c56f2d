/** Starting a fast, isolated simulator for tests: random ports, tiny delays. */
import { startSimulator, type SimulatorHandle, type SimulatorOptions } from '../../lib/simulator';

export const FAST_TIMING = {
  cardDelayMs: 5,
  keepaliveIntervalMs: 1000,
  hostDelayMs: 1,
  cardTimeoutMs: 3000,
  answerTimeoutMs: 3000,
  firstPacketTimeoutMs: 3000,
  frameTimeoutMs: 2000,
  faultDelayMs: 50,
  resetKeepAliveIntervalMs: 20,
  activatorTimeoutMs: 3000,
};

export async function startTestSimulator(options: SimulatorOptions = {}): Promise<SimulatorHandle> {
  return startSimulator({
    port: 0,
    activatorPort: 0,
    rsaModulusLength: 1024,
    ...options,
    timing: { ...FAST_TIMING, ...options.timing },
  });
}
