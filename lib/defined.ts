/** The object without its undefined members: no `key: undefined` in results that are compared, printed or stored. */
export function definedOnly<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
