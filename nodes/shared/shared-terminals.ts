/**
 * One terminal, one connection: every jpay-terminal config node with the same host:port
 * shares one opened terminal — one client and its command queue, one recovery journal, one
 * card/dex handler registry — counted by the config nodes holding it. The first holder's
 * settings open it; a later holder whose settings differ is told which (they take effect
 * when every holder has been redeployed). The last holder's release closes it.
 */

export interface OpenedTerminal<T> {
  readonly value: T;
  close(): Promise<void>;
}

/** Settings that decide how the terminal is opened, by name; compared, never printed. */
export type TerminalSettings = Readonly<Record<string, string>>;

interface Entry<T> {
  opened: OpenedTerminal<T>;
  holders: Set<string>;
  settings: TerminalSettings;
  /** The holder whose settings opened it. */
  openedBy: string;
}

export interface Acquired<T> {
  value: T;
  /** The holder whose settings are in use, when not this one. */
  sharedWith?: string;
  /** Names of this holder's settings that differ from those in use (not applied). */
  differs: string[];
}

export class SharedTerminals<T> {
  readonly #entries = new Map<string, Entry<T>>();

  /** Joins the terminal at `key`, opening it (`open`) when nobody holds it. `open` may throw: nothing is kept then. */
  acquire(key: string, holder: string, settings: TerminalSettings, open: () => OpenedTerminal<T>): Acquired<T> {
    const entry = this.#entries.get(key);
    if (entry) {
      entry.holders.add(holder);
      const names = new Set([...Object.keys(settings), ...Object.keys(entry.settings)]);
      const differs = [...names].filter((name) => settings[name] !== entry.settings[name]).sort();
      return entry.openedBy === holder ? { value: entry.opened.value, differs } : { value: entry.opened.value, sharedWith: entry.openedBy, differs };
    }
    const opened = open();
    this.#entries.set(key, { opened, holders: new Set([holder]), settings, openedBy: holder });
    return { value: opened.value, differs: [] };
  }

  /** Leaves the terminal at `key`; the last holder closes it (resolves once closed). */
  async release(key: string, holder: string): Promise<void> {
    const entry = this.#entries.get(key);
    if (!entry || !entry.holders.delete(holder)) return;
    if (entry.holders.size > 0) return;
    this.#entries.delete(key);
    await entry.opened.close();
  }

  /** How many config nodes hold the terminal at `key` (0: not open). */
  holders(key: string): number {
    return this.#entries.get(key)?.holders.size ?? 0;
  }
}

/** The key of a terminal: its address as the client connects to it. */
export function terminalKey(host: string, port: number): string {
  return `${host.trim().toLowerCase()}:${port}`;
}
