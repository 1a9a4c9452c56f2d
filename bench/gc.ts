/** A callable gc() even when node was started without --expose-gc. */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let cached: (() => void) | undefined;

export function gc(): void {
  if (!cached) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (exposed) cached = exposed;
    else {
      setFlagsFromString('--expose-gc');
      cached = runInNewContext('gc') as () => void;
    }
  }
  cached();
  cached();
}
