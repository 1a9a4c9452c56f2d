/**
 * A value made on first use and kept. Heavy modules (the MQTT client, the simulator, the
 * elliptic-curve library…) are loaded through it only when needed, so requiring the
 * package or starting Node-RED with it stays fast (docs/benchmarks.md, "load" rows).
 */
export function onFirstUse<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}
