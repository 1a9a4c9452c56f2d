/** Every in-process fuzz target, in report order (the simulator over TCP is separate: sim-garbage.ts). */
import { decryptPlaintextTarget, decryptRandomTarget, decryptTamperedTarget, handshakeTarget } from './crypto-targets';
import { frameRandomTarget, frameSplitTarget } from './frame-targets';
import { runnable, type RunnableTarget } from './kit';
import { protocolPacketTarget, protocolTextTarget } from './protocol-targets';
import { xmlMutatedTarget, xmlRandomTarget } from './xml-targets';

export const FUZZ_TARGETS: readonly RunnableTarget[] = [
  runnable(frameSplitTarget),
  runnable(frameRandomTarget),
  runnable(xmlRandomTarget),
  runnable(xmlMutatedTarget),
  runnable(protocolPacketTarget),
  runnable(protocolTextTarget),
  runnable(decryptRandomTarget),
  runnable(decryptTamperedTarget),
  runnable(decryptPlaintextTarget),
  runnable(handshakeTarget),
];
