/** What the simulator reports (handle.on('event'), GET /events). No PAN, password or token. */
export type SimulatorEvent =
  | { type: 'listening'; port: number; activatorPort: number; controlPort?: number }
  | { type: 'command'; command: string; status: string; encrypted: boolean; ms: number }
  | { type: 'message'; name: string; code?: string; answer?: string }
  | { type: 'waiting-for-card'; command: string }
  | { type: 'card-presented'; card: string; source: 'auto' | 'control' | 'mifare' }
  | { type: 'record'; kind: string; seq: number; operation: string; tstatus: string; amount: number }
  | { type: 'fault'; kind: string; command: string }
  | { type: 'bad-input'; reason: string }
  /** A client connection over `maxConnections` was closed without being served. */
  | { type: 'connection-refused'; remote: string; open: number; max: number }
  | { type: 'busy'; command: string; holder: string }
  | { type: 'activator'; step: string };
